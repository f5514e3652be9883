"""``flask_broadcasts.background.timers``: a campaign's fire times waiting in rq-scheduler.

What a deployment relies on: once its fire time is due, rq-scheduler hands the occurrence
to a worker on ``BROADCASTS_QUEUE`` as the fire job of that campaign and time (and no
earlier); cancelling one occurrence leaves the campaign's others pending. (Adding twice,
the rounding up and deployments sharing a Redis: tests/integration/scheduling/test_timers_rq.py.)
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq_scheduler import Scheduler

from flask_broadcasts.background.queues import get_queue
from flask_broadcasts.background.timers import FIRE_JOB, RQFireTimers, fire_job_id
from flask_broadcasts.state import get_state


@pytest.fixture
def state(app):
    return get_state(app)


def test_a_due_occurrence_reaches_the_queue_as_its_campaigns_fire_job(state):
    timers = RQFireTimers(state, job_timeout=120)
    due = datetime.now(UTC).replace(microsecond=0) - timedelta(seconds=2)
    later = datetime.now(UTC) + timedelta(hours=1)
    timers.add(7, due)
    timers.add(7, later)

    Scheduler(queue_name=state.settings.queue, connection=state.redis).enqueue_jobs()  # one poll
    [job] = get_queue(state).get_jobs()
    assert job.id == fire_job_id(7, due, queue=state.settings.queue)
    assert job.func_name == FIRE_JOB
    assert job.args == (7, due.strftime("%Y-%m-%dT%H:%M:%SZ"))  # the fire time, also the run key
    assert job.timeout == 120
    assert (7, due) not in timers  # handed over
    assert (7, later) in timers  # not due: still waiting


def test_cancelling_one_occurrence_leaves_the_campaigns_others(state):
    timers = RQFireTimers(state)
    first = datetime(2030, 1, 1, 9, tzinfo=UTC)
    second = first + timedelta(days=1)
    timers.add(7, first)
    timers.add(7, second)
    timers.add(8, first)
    timers.cancel(7, first)
    assert [(7, first) in timers, (7, second) in timers, (8, first) in timers] == [False, True, True]


def test_a_fire_time_given_in_another_zone_is_the_same_occurrence(state):
    from zoneinfo import ZoneInfo

    timers = RQFireTimers(state)
    paris = datetime(2030, 1, 1, 10, tzinfo=ZoneInfo("Europe/Paris"))
    timers.add(7, paris)
    assert (7, datetime(2030, 1, 1, 9, tzinfo=UTC)) in timers
    timers.cancel(7, datetime(2030, 1, 1, 9, tzinfo=UTC))
    assert (7, paris) not in timers
