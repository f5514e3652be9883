"""``flask_broadcasts.background.worker``: the RQ worker class of ``flask broadcasts worker``.

What a deployment relies on: every job runs inside the app's context even under a plain
``rq worker -w ...`` (nothing else needs pushing one); the worker takes sending jobs before
webhook deliveries; without Redis it says so instead of starting; a warm stop reaches a
busy job as ``WARM_STOP_SIGNAL``, which the job notices between batches. Jobs run here in
this process (``tests/support/background.py``), never in a forked horse.
"""

from __future__ import annotations

import contextvars
import os
import signal

import pytest
from rq import SimpleWorker
from rq.job import JobStatus

from flask_broadcasts.background.context import WARM_STOP_SIGNAL, warm_stop_event, warm_stop_requested
from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.worker import build_worker
from flask_broadcasts.state import get_state
from tests.support.background import InProcessBroadcastsWorker


def _in_a_bare_context(function, *args, **kwargs):
    """Run ``function`` as a worker process would: no app context pushed (a fresh contextvars context)."""
    return contextvars.Context().run(function, *args, **kwargs)


def test_a_job_runs_in_the_apps_context_which_a_plain_worker_lacks(app, monkeypatch):
    monkeypatch.delenv("FLASK_APP", raising=False)  # nothing to load the app from but the worker
    state = get_state(app)
    queue = get_queue(state)

    plain = queue.enqueue("flask_broadcasts.background.jobs.recover")
    _in_a_bare_context(SimpleWorker([queue], connection=state.redis).work, burst=True)
    assert plain.get_status() == JobStatus.FAILED  # without the worker's context, no app to run in

    ours = queue.enqueue("flask_broadcasts.background.jobs.recover")
    worker = InProcessBroadcastsWorker([queue], connection=state.redis, app=app)
    _in_a_bare_context(worker.work, burst=True)
    assert ours.get_status() == JobStatus.FINISHED, ours.latest_result().exc_string
    assert ours.return_value()["webhook_deliveries_queued"] == 0  # the sweep read this app's database


def test_the_worker_takes_sending_jobs_before_webhook_deliveries_on_a_client_of_its_own(app):
    state = get_state(app)
    worker = build_worker(app, name="w-1")
    assert worker.queue_names() == [state.settings.queue, state.settings.webhook_queue]
    assert worker.name == "w-1"
    assert worker.connection is not state.redis
    assert worker.flask_app is app


def test_without_redis_the_worker_refuses_to_start(app):
    get_state(app).settings.redis_url = None
    with pytest.raises(RuntimeError, match="REDIS_URL"):
        build_worker(app)


def test_a_warm_stop_signal_reaches_the_running_job(app):
    worker = InProcessBroadcastsWorker([get_queue(get_state(app))], connection=get_state(app).redis, app=app)
    saved = {number: signal.getsignal(number) for number in (signal.SIGINT, signal.SIGTERM, WARM_STOP_SIGNAL)}
    warm_stop_event.set()  # left over from an earlier job: a new horse starts without it
    try:
        worker.setup_work_horse_signals()
        assert not warm_stop_requested()
        os.kill(os.getpid(), WARM_STOP_SIGNAL)  # what the worker sends its busy horse
        assert warm_stop_requested()
    finally:
        for number, handler in saved.items():
            signal.signal(number, handler)
        warm_stop_event.clear()
