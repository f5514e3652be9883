"""``flask_broadcasts.background.liveness``: who is alive on the deployment's Redis (``flask broadcasts doctor``).

What an operator relies on: the workers listed are those on this deployment's queue and
alive (a stopped one drops out); a scheduler counts as alive while its instance key lives
and not once it recorded its death; the worker holding RQ's scheduler lock (the one that
moves retried jobs back) is named; the sweep's next run is shown once it is registered.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq import Queue, Worker
from rq.scheduler import RQScheduler
from rq_scheduler import Scheduler

from flask_broadcasts.background.liveness import queue_workers, scheduler_status
from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.scheduler import register_recovery
from flask_broadcasts.state import get_state


@pytest.fixture
def state(app):
    return get_state(app)


def test_the_live_workers_of_this_queue_are_listed_and_a_stopped_one_drops_out(state):
    ours = Worker([get_queue(state)], connection=state.redis, name="ours-1")
    theirs = Worker([Queue("another-deployment", connection=state.redis)], connection=state.redis, name="theirs-1")
    ours.register_birth()
    theirs.register_birth()
    ours.heartbeat()
    [worker] = queue_workers(state)
    assert worker.name == "ours-1"
    assert worker.last_heartbeat is not None
    ours.register_death()
    assert queue_workers(state) == []


def test_a_scheduler_is_alive_until_it_records_its_death(state):
    assert scheduler_status(state).alive is False
    assert scheduler_status(state).instances == ()
    scheduler = Scheduler(queue_name=state.settings.queue, connection=state.redis, interval=5, name="sched-1")
    scheduler.register_birth()
    status = scheduler_status(state)
    assert (status.instances, status.alive) == (("sched-1",), True)
    scheduler.register_death()
    assert scheduler_status(state).alive is False  # its key lingers a minute, marked dead


def test_the_retry_scheduler_and_the_sweeps_next_run_are_reported(state):
    status = scheduler_status(state)
    assert (status.retry_scheduler, status.sweep_next_run) == (None, None)
    rq_scheduler = RQScheduler([state.settings.queue], connection=state.redis, name="worker-7-scheduler")
    assert rq_scheduler.acquire_locks() == {state.settings.queue}
    before = datetime.now(UTC).replace(microsecond=0)
    register_recovery()
    status = scheduler_status(state)
    assert status.retry_scheduler == "worker-7-scheduler"
    assert before <= status.sweep_next_run <= datetime.now(UTC) + timedelta(seconds=1)
    assert status.alive is False  # the retry scheduler is RQ's, not rq-scheduler
