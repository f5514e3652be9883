"""Pause, resume and stop mid-run through real worker processes and a real SMTP server.

The promise under test (docs/guarantees.rst): once pause or stop has answered, each SMTP
connection hands over at most the one message already in flight, and nothing more;
resume sends every address not reached yet, exactly once.
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from collections import Counter

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign, start_campaign, stop_campaign
from flask_broadcasts.engine.recovery import recover
from flask_broadcasts.errors import ConflictError
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, event_channel, make_campaign, seed_customers, set_config
from tests.support.processes import start_subscriber, start_worker

N = 600
WORKERS = 2  # one SMTP connection each
# A server that takes a few ms per message; batches small enough that both workers send.
# One connection per worker, so "at most one message per connection" reads as at most WORKERS;
# the bound with several connections is the fault suite's (tests/faults/test_pause.py, 8 each).
CONFIG = {"BROADCASTS_BATCH_SIZE": 100, "BROADCASTS_PROGRESS_INTERVAL": 0, "BROADCASTS_MAIL_CONNECTIONS": 1}


def _wait(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while not (value := predicate()):
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)
    return value


def _claimed(db, campaign_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.claimed_by.is_not(None)
        )
    )


def _sent(db, campaign_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.status == "completed"
        )
    )


def _stop_workers(workers) -> str:
    """End the workers and their work horses (each worker leads a session of its own)."""
    out = []
    for worker in workers:
        try:
            os.killpg(worker.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        out.append(worker.communicate(timeout=15)[0].decode(errors="replace"))
    return "\n".join(out)


def _running(app, env, smtp, **config):
    set_config(env, app, **{**CONFIG, **config})
    smtp.delay = 0.004
    seed_customers(N)
    campaign_id = make_campaign()
    return campaign_id


def test_pause_holds_every_connection_and_resume_sends_the_rest_once(app, env, smtp):
    from tests.support.hostapp import db

    campaign_id = _running(app, env, smtp)
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))
    start_campaign(ORG, campaign_id)
    workers = [start_worker(env, burst=False) for _ in range(WORKERS)]
    try:
        _wait(lambda: smtp.count() >= 150, 60, "150 messages")
        assert pause_campaign(ORG, campaign_id).status == "paused"
        answered = time.monotonic()
        # Every worker halts (its claim released, never deleted) ...
        _wait(lambda: _claimed(db, campaign_id) == 0, 10, "the claims to be released")
        time.sleep(0.3)
        held = smtp.count()
        time.sleep(2)
        # ... and the server's count stays flat for 2 s.
        assert smtp.count() == held
        late = smtp.count_since(answered)
        assert late <= WORKERS, late
        assert held < N
        row = campaign_row(campaign_id)
        assert (row.status, row.status_reason) == ("paused", "paused")
        # The counters stay true: every outcome recorded is counted, nothing is lost.
        assert row.sent_count == _sent(db, campaign_id) == held
        assert row.total_count == N
        # The sweep leaves a paused run alone.
        report = recover()
        assert campaign_id not in report.send_requeued + report.materialize_requeued + report.completed
        time.sleep(0.5)
        assert smtp.count() == held and campaign_row(campaign_id).status == "paused"

        assert resume_campaign(ORG, campaign_id).status == "in-progress"
        _wait(lambda: campaign_row(campaign_id).status == "completed", 60, "completion")
    finally:
        outputs = _stop_workers(workers)
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count, row.total_count) == (N, 0, N), outputs
    received = Counter(smtp.recipients())
    assert len(received) == N and set(received.values()) == {1}
    out, _ = subscriber.communicate(timeout=10)
    statuses = [json.loads(line)["data"]["attributes"]["status"] for line in out.decode().splitlines()]
    paused_at = statuses.index("paused")
    assert "in-progress" in statuses[:paused_at] and "in-progress" in statuses[paused_at:]
    assert statuses[-1] == "completed"


def test_stop_mid_run_hands_over_at_most_one_message_per_connection(app, env, smtp):
    from tests.support.hostapp import db

    campaign_id = _running(app, env, smtp)
    start_campaign(ORG, campaign_id)
    workers = [start_worker(env, burst=False) for _ in range(WORKERS)]
    try:
        _wait(lambda: smtp.count() >= 150, 60, "150 messages")
        assert stop_campaign(ORG, campaign_id).status == "draft"
        answered = time.monotonic()
        _wait(lambda: _claimed(db, campaign_id) == 0, 10, "the claims to be deleted")
        time.sleep(0.3)
        stopped_at = smtp.count()
        time.sleep(1)
        assert smtp.count() == stopped_at
        assert smtp.count_since(answered) <= WORKERS, smtp.count_since(answered)
    finally:
        outputs = _stop_workers(workers)
    row = campaign_row(campaign_id)
    db.session.rollback()
    left = Counter(db.session.execute(sa.select(BroadcastMessage.status)).scalars())
    assert left == {"completed": stopped_at}, outputs  # the unsent were deleted
    # Counted again after the workers halted: the message in flight is in the figures.
    assert (row.status, row.sent_count, row.total_count) == ("draft", stopped_at, stopped_at)


def test_concurrent_resumes_continue_once(app, env, smtp):
    from tests.support.hostapp import db

    campaign_id = _running(app, env, smtp)
    smtp.delay = 0
    start_campaign(ORG, campaign_id)
    pause_campaign(ORG, campaign_id)
    start_worker(env).communicate(timeout=60)  # materializes nothing more: paused
    answers: list[str] = []
    barrier = threading.Barrier(2)

    def resume() -> None:
        with app.app_context():
            barrier.wait()
            try:
                answers.append(resume_campaign(ORG, campaign_id).status)
            except ConflictError as exc:
                answers.append(f"409 {exc.error_code} {exc.meta}")
            finally:
                db.session.remove()

    threads = [threading.Thread(target=resume) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(answers) == sorted(["pending", "409 illegal_transition {'status': 'pending'}"]), answers
    start_worker(env).communicate(timeout=60)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", N, N)
    assert set(Counter(smtp.recipients()).values()) == {1}


def test_pause_survives_a_redis_flush_and_resume_sends_the_rest_once(app, env, smtp):
    """In-process, no worker process: the database is the only record of the pause."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    from flask_broadcasts.background.scheduler import make_scheduler, register_recovery
    from flask_broadcasts.engine import materialize, sending
    from flask_broadcasts.state import get_state
    from tests.support.hostapp import db

    n, batch = 30, 10
    set_config(env, app, BROADCASTS_BATCH_SIZE=batch, BROADCASTS_PROGRESS_INTERVAL=0)
    seed_customers(n)
    campaign_id = make_campaign()
    state = get_state(app)
    queue = Queue(state.settings.queue, connection=state.redis)
    start_campaign(ORG, campaign_id)
    materialize.materialize_run(campaign_id, "once", "test-materializer")
    assert sending.send_batch(campaign_id, "once", "test-sender").sent == batch
    assert pause_campaign(ORG, campaign_id).status == "paused"

    def pending() -> list[tuple[int, str, str | None]]:
        db.session.rollback()
        return db.session.execute(
            sa.select(BroadcastMessage.id, BroadcastMessage.status, BroadcastMessage.claimed_by)
            .where(BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.status == "pending")
            .order_by(BroadcastMessage.id)
        ).all()

    held = pending()
    assert len(held) == n - batch and all(claimed is None for _, _, claimed in held)
    Redis.from_url(env["REDIS_URL"]).flushdb()  # every job, lease and timer in Redis is gone

    report = recover()
    assert campaign_id not in report.send_requeued + report.materialize_requeued + report.completed
    assert queue.count == 0 and queue.scheduled_job_registry.count == 0
    # The scheduler's path after the flush: it registers the sweep again, the sweep runs as a job.
    assert register_recovery() is True
    make_scheduler().enqueue_jobs()
    assert [job.func_name for job in queue.get_jobs()] == ["flask_broadcasts.background.jobs.recover"]
    SimpleWorker([queue], connection=state.redis).work(burst=True)
    assert queue.count == 0
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason) == ("paused", "paused")
    assert (row.sent_count, row.total_count) == (batch, n)
    assert pending() == held
    assert smtp.count() == batch

    assert resume_campaign(ORG, campaign_id).status == "in-progress"
    assert [job.func_name for job in queue.get_jobs()] == ["flask_broadcasts.background.jobs.send_batch"]
    SimpleWorker([queue], connection=state.redis).work(burst=True)
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason, row.sent_count, row.failed_count) == ("completed", None, n, 0)
    received = Counter(smtp.recipients())
    assert len(received) == n and set(received.values()) == {1}
