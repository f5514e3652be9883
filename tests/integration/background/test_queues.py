"""``flask_broadcasts.background.queues``: the RQ queue, its job ids, and the dispatcher.

What a deployment relies on: a run's jobs are queued once while one waits (a start clicked
twice, a materialization chunk after another, never a pile); a stop cancels exactly the
campaign's waiting jobs; a retry no scheduler will ever move back is not waited for; and
a send job hands over only to another run's work, not to its own run's or the sweep.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from rq.job import Job, JobStatus

from flask_broadcasts.background.queues import RQDispatcher, get_queue, job_id, other_work_waits
from flask_broadcasts.background.scheduler import recovery_job_id
from flask_broadcasts.state import get_state

RUN = "2026-03-29T01:00:00Z"


@pytest.fixture
def state(app):
    return get_state(app)


@pytest.fixture
def dispatcher(state) -> RQDispatcher:
    return RQDispatcher(state)


def test_job_ids_name_the_queue_campaign_and_run_in_characters_rq_accepts(state):
    assert job_id("send", 42, RUN, "m3", queue="broadcasts") == "broadcasts-send-42-2026_03_29T01_00_00Z-m3"
    assert job_id("materialize", 42, "once", queue="other:queue") == "other_queue-materialize-42-once"
    # RQ refuses any other id; one it accepts can be queued and fetched back under it.
    Job.create(
        "flask_broadcasts.background.jobs.recover", id=job_id("send", 1, RUN, "m0", queue="a.b"), connection=state.redis
    ).save()


def test_a_run_is_queued_once_while_its_job_waits(state, dispatcher):
    dispatcher.materialize(7, "once")
    dispatcher.materialize(7, "once")
    dispatcher.send(7, "once", tag="m0")
    dispatcher.send(7, "once", tag="m0")
    queued = get_queue(state).get_jobs()
    assert [(job.func_name, job.args) for job in queued] == [
        ("flask_broadcasts.background.jobs.materialize_run", (7, "once")),
        ("flask_broadcasts.background.jobs.send_batch", (7, "once")),
    ]
    assert dispatcher.has_waiting_send(7, "once")
    assert not dispatcher.has_waiting_send(7, "another-run")
    assert not dispatcher.has_waiting_send(8, "once")


def test_a_stop_cancels_the_campaigns_waiting_jobs_only(state, dispatcher):
    dispatcher.materialize(7, "once")
    dispatcher.send(7, "once", tag="m0", at=datetime.now(UTC) + timedelta(hours=1))  # a later wake-up
    dispatcher.send(8, "once", tag="m0")
    assert dispatcher.cancel(7) == 2
    assert dispatcher.cancel(7) == 0  # nothing left to cancel
    assert not dispatcher.has_waiting_send(7, "once")
    assert [job.args for job in get_queue(state).get_jobs()] == [(8, "once")]
    dispatcher.materialize(7, "once")  # after a stop, a new start queues again
    assert [job.args for job in get_queue(state).get_jobs()] == [(8, "once"), (7, "once")]


def test_a_retry_overdue_past_the_recovery_interval_is_not_waited_for_and_is_replaced(state, dispatcher):
    now = datetime.now(UTC)
    dispatcher.send(7, "once", tag="r1", at=now + timedelta(seconds=60))
    assert dispatcher.has_waiting_send(7, "once")  # a retry on its way
    dispatcher.cancel(7)
    late = now - timedelta(seconds=state.settings.recovery_interval + 60)
    dispatcher.send(7, "once", tag="r1", at=late)
    assert not dispatcher.has_waiting_send(7, "once")  # no scheduler moved it back: the sweep may send

    dispatcher.send(7, "once", tag="r1")  # the sweep's fresh send job takes the id
    jid = job_id("send", 7, "once", "r1", queue=state.settings.queue)
    assert Job.fetch(jid, connection=state.redis).get_status() == JobStatus.QUEUED
    assert jid not in get_queue(state).scheduled_job_registry.get_job_ids()  # never run twice


def test_a_send_job_hands_over_only_to_another_runs_work(state, dispatcher):
    queue = state.settings.queue
    dispatcher.send(7, "once", tag="m0")
    get_queue(state).enqueue("flask_broadcasts.background.jobs.recover", job_id=recovery_job_id(queue))
    assert not other_work_waits(state, 7, "once")  # its own run's continuation, the sweep
    dispatcher.materialize(8, "once")
    assert other_work_waits(state, 7, "once")
