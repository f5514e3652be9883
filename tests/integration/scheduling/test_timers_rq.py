"""The rq-scheduler timers and the sweep's registration, on a real Redis."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq.job import Job

from flask_broadcasts.background import scheduler as runner
from flask_broadcasts.background.timers import FIRE_JOB, RQFireTimers, fire_job_id
from flask_broadcasts.state import get_state


@pytest.fixture
def redis(app) -> Redis:
    connection = get_state().redis
    connection.flushdb()
    return connection


def test_add_is_idempotent_and_cancel_removes(redis) -> None:
    timers = RQFireTimers(get_state())
    at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    timers.add(7, at)
    timers.add(7, at)
    assert (7, at) in timers
    assert redis.zcard(timers.scheduler.scheduled_jobs_key) == 1
    job = Job.fetch(fire_job_id(7, at, queue="broadcasts"), connection=redis)
    assert job.func_name == FIRE_JOB
    assert job.args == (7, "2030-01-01T09:00:00Z")
    assert job.origin == "broadcasts"  # any rq-scheduler (even a plain `rqscheduler`) queues it right
    timers.cancel(7, at)
    assert (7, at) not in timers
    timers.cancel(7, at)  # no error


def test_due_score_is_rounded_up_never_early(redis) -> None:
    timers = RQFireTimers(get_state())
    at = datetime(2030, 1, 1, 9, 0, 0, 300_000, tzinfo=UTC)
    timers.add(7, at)
    score = redis.zscore(timers.scheduler.scheduled_jobs_key, fire_job_id(7, at, queue="broadcasts"))
    assert score == (at.replace(microsecond=0) + timedelta(seconds=1)).timestamp()


def test_recovery_registration_is_idempotent(redis) -> None:
    scheduler = runner.make_scheduler()
    assert scheduler._interval == 5.0
    sweep = runner.recovery_job_id(get_state().settings.queue)
    assert runner.register_recovery(scheduler) is True
    first_score = redis.zscore(scheduler.scheduled_jobs_key, sweep)
    assert runner.register_recovery(scheduler) is False
    assert redis.zscore(scheduler.scheduled_jobs_key, sweep) == first_score
    job = Job.fetch(sweep, connection=redis)
    assert job.func_name == "flask_broadcasts.background.jobs.recover"
    assert job.meta["interval"] == 30
    assert redis.zcard(scheduler.scheduled_jobs_key) == 1


def test_recovery_registration_follows_a_changed_interval(app, redis) -> None:
    runner.register_recovery()
    get_state().settings.recovery_interval = 12
    assert runner.register_recovery() is True
    assert Job.fetch(runner.recovery_job_id(get_state().settings.queue), connection=redis).meta["interval"] == 12


def test_deployments_sharing_a_redis_keep_a_sweep_and_timers_each(app, redis, monkeypatch) -> None:
    """Two deployments on one Redis with their own ``BROADCASTS_QUEUE`` (as Operations
    documents): each keeps its own recovery sweep — one id for both made each re-register
    over the other's — and campaign 7 of one is not campaign 7 of the other."""
    settings = get_state().settings
    at = datetime(2030, 1, 1, 9, 0, tzinfo=UTC)
    first_queue = settings.queue
    assert runner.register_recovery() is True
    timers = RQFireTimers(get_state())  # reads BROADCASTS_QUEUE at each call
    timers.add(7, at)

    monkeypatch.setattr(settings, "queue", f"{first_queue}-second")
    assert runner.register_recovery() is True
    assert (7, at) not in timers
    timers.add(7, at)

    assert runner.register_recovery() is False  # and neither pushes the other's out again
    monkeypatch.setattr(settings, "queue", first_queue)
    assert runner.register_recovery() is False
    origins = {
        Job.fetch(job_id.decode(), connection=redis).origin
        for job_id in redis.zrange("rq:scheduler:scheduled_jobs", 0, -1)
    }
    assert redis.zcard("rq:scheduler:scheduled_jobs") == 4
    assert origins == {first_queue, f"{first_queue}-second"}
