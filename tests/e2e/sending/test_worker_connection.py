"""The worker's blocking dequeue never runs on a connection with redis-py's 5 s socket timeout."""

from __future__ import annotations

from flask_broadcasts.background.scheduler import register_recovery
from flask_broadcasts.background.worker import build_worker
from flask_broadcasts.state import get_state


def test_the_worker_dequeues_on_a_client_of_its_own(app) -> None:  # type: ignore[no-untyped-def]
    state = get_state(app)
    with app.app_context():
        register_recovery()  # what --with-scheduler does first: the app's pool now holds a 5 s connection
    worker = build_worker(app, name="connection-test")
    pool = worker.connection.connection_pool
    assert pool is not state.redis.connection_pool
    assert pool.connection_kwargs["socket_timeout"] > worker.dequeue_timeout
    # Every connection this pool makes can wait out a whole BLPOP (the bug: one could not).
    connection = pool.get_connection()
    try:
        assert connection.socket_timeout > worker.dequeue_timeout
    finally:
        pool.release(connection)
    worker.connection.close()


def test_plain_rq_worker_with_flask_app_runs_a_campaign(app, env, smtp) -> None:  # type: ignore[no-untyped-def]
    """``rq worker -w flask_broadcasts.background.worker.BroadcastsWorker`` with ``FLASK_APP`` set (the documented way)."""
    from flask_broadcasts.engine.lifecycle import start_campaign
    from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
    from tests.support.processes import start_worker

    seed_customers(12)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    proc = start_worker(env, rq_cli=True)
    out, _ = proc.communicate(timeout=90)
    output = out.decode(errors="replace")
    assert proc.returncode == 0, output
    assert "NoAppException" not in output
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 12, 12), output
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, 13))


def test_load_app_reads_flask_app(env, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from flask_broadcasts.background.worker import load_app

    for key, value in env.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("FLASK_APP", "tests.support.hostapp:create_app")
    monkeypatch.chdir("/")  # no app.py / wsgi.py to fall back on
    assert "broadcasts" in load_app().extensions


_FIRST_POLL_SCRIPT = """
from flask_broadcasts.state import get_state
from flask_broadcasts.background.scheduler import recovery_job_id
from flask_broadcasts.background.worker import load_app, start_periodic_scheduler

app = load_app()
start_periodic_scheduler(app)
# What the worker does next is fork; by now the thread must be past its first poll.
sweep = recovery_job_id(get_state(app).settings.queue)
print(get_state(app).redis.zscore("rq:scheduler:scheduled_jobs", sweep) is not None)
"""


def test_the_scheduler_thread_polls_once_before_the_worker_forks(env) -> None:  # type: ignore[no-untyped-def]
    """``--with-scheduler``: a fork taken while the thread was in its first imports left RQ's
    scheduler process waiting forever on an import lock, and a retried job never ran again."""
    import subprocess
    import sys

    from tests.support.processes import ROOT, worker_env

    done = subprocess.run(
        [sys.executable, "-c", _FIRST_POLL_SCRIPT],
        cwd=ROOT,
        env=worker_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "True", done.stderr
