"""``flask_broadcasts.background.scheduler``: rq-scheduler with the extension's settings and its sweep.

What a deployment relies on: a scheduler started on a fresh Redis runs the recovery sweep
at once and then every ``BROADCASTS_RECOVERY_INTERVAL`` seconds; a Redis that lost its data
gets the sweep back at the scheduler's next poll, without a restart; and whatever stands
under the sweep's id, there is only ever one sweep, the right one.
"""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime

import pytest
from rq.job import Job
from rq_scheduler import Scheduler

from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.scheduler import (
    RECOVERY_JOB,
    make_scheduler,
    recovery_job_id,
    register_recovery,
    run_scheduler,
)
from flask_broadcasts.state import get_state


@pytest.fixture
def state(app):
    return get_state(app)


def _sweep_score(state) -> float | None:
    return state.redis.zscore(Scheduler.scheduled_jobs_key, recovery_job_id(state.settings.queue))


def test_a_first_poll_queues_the_sweep_at_once_and_schedules_the_next(state):
    polled = threading.Event()
    before = time.time()
    run_scheduler(burst=True, in_thread=True, polled=polled)
    assert polled.is_set()
    [job] = get_queue(state).get_jobs()
    assert (job.id, job.func_name) == (recovery_job_id(state.settings.queue), RECOVERY_JOB)
    interval = int(state.settings.recovery_interval)
    assert before + interval - 1 <= _sweep_score(state) <= time.time() + interval + 1


def test_a_redis_that_lost_its_data_gets_the_sweep_back_at_the_next_poll(state):
    polled = threading.Event()
    scheduler = make_scheduler(interval=1, in_thread=True, polled=polled)
    scheduler.enqueue_jobs()
    assert _sweep_score(state) is not None
    state.redis.flushdb()  # a Redis restarted without persistence
    polled.clear()
    scheduler.enqueue_jobs()  # what the running loop does at its next poll
    assert polled.is_set()
    assert _sweep_score(state) is not None
    assert Job.fetch(recovery_job_id(state.settings.queue), connection=state.redis).func_name == RECOVERY_JOB


def test_whatever_stands_under_the_sweeps_id_is_replaced_by_the_one_sweep(state):
    scheduler = make_scheduler()
    sweep = recovery_job_id(state.settings.queue)
    scheduler.schedule(
        scheduled_time=datetime.now(UTC), func="os.getcwd", interval=999, id=sweep, queue_name="elsewhere"
    )
    assert register_recovery(scheduler) is True
    job = Job.fetch(sweep, connection=state.redis)
    assert (job.func_name, job.origin, job.meta["interval"]) == (
        RECOVERY_JOB,
        state.settings.queue,
        int(state.settings.recovery_interval),
    )
    assert state.redis.zcard(Scheduler.scheduled_jobs_key) == 1  # never a second sweep
    assert register_recovery(scheduler) is False  # and left alone once right
