"""Send jobs a run's materialization queues: enough to start sending at once, never a pile."""

from __future__ import annotations

from rq import Queue

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign, seed_customers


def test_materialization_keeps_one_send_job_waiting_not_one_per_chunk(app, env, smtp):
    seed_customers(450)  # BROADCASTS_INSERT_CHUNK=100: five chunks
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    state = get_state(app)
    queue = Queue(state.settings.queue, connection=state.redis)
    queue.empty()  # the materialize job start queued: run here, inline, instead

    assert materialize_run(campaign_id, "once", "test-worker") == 450

    send_jobs = [job for job in queue.get_jobs() if job.func_name == "flask_broadcasts.background.jobs.send_batch"]
    # The first chunk queued a send job; no worker took it, so the next four did not add any.
    assert [job.args for job in send_jobs] == [(campaign_id, "once")]
    assert send_jobs[0].id.endswith("-m0")


def test_deployments_sharing_a_redis_on_different_queues_never_take_each_others_jobs(app, env, monkeypatch):
    """Operations documents one Redis for several deployments, each with its own
    ``BROADCASTS_QUEUE``. Each numbers its campaigns from 1: a run of campaign 1 of the
    second must get its own jobs, not pass for the first one's, still waiting, and never start."""
    state = get_state(app)
    first = Queue(state.settings.queue, connection=state.redis)
    state.dispatcher.materialize(1, "once")
    state.dispatcher.send(1, "once", tag="m0")

    monkeypatch.setattr(state.settings, "queue", f"{state.settings.queue}-second")
    second = Queue(state.settings.queue, connection=state.redis)
    state.dispatcher.materialize(1, "once")
    assert not state.dispatcher.has_waiting_send(1, "once")  # the first deployment's is not ours
    state.dispatcher.send(1, "once", tag="m0")

    assert [job.func_name for job in second.get_jobs()] == [
        "flask_broadcasts.background.jobs.materialize_run",
        "flask_broadcasts.background.jobs.send_batch",
    ]
    assert state.dispatcher.cancel(1) == 2  # stop cancels this deployment's jobs only
    assert len(first.get_jobs()) == 2 and all(job.get_status() == "queued" for job in first.get_jobs())


def test_a_stop_racing_a_worker_that_takes_and_finishes_the_job_still_answers(app, env, monkeypatch):
    """CI's load test got a 500 from a stop: the send job read as queued was taken by a
    worker, and done, while RQ's cancel listed its executions and fetched each one. The
    stop had committed; the 500 also skipped cancelling its timer and the progress event."""
    from rq.executions import ExecutionRegistry
    from rq.job import Job, JobStatus

    state = get_state(app)
    state.dispatcher.send(1, "once", tag="m0")
    read_as_waiting = Job.fetch_many

    def taken_by_a_worker_meanwhile(ids, connection, **kwargs):
        jobs = read_as_waiting(ids, connection, **kwargs)
        for job in jobs:  # what a worker leaves for an instant: started, an execution listed, its hash gone
            Job.fetch(job.id, connection=state.redis).set_status(JobStatus.STARTED)  # ours still reads queued
            state.redis.zadd(ExecutionRegistry(job.id, connection=state.redis).key, {"gone": 9e9})
        return jobs

    monkeypatch.setattr(Job, "fetch_many", taken_by_a_worker_meanwhile)
    assert state.dispatcher.cancel(1) == 0  # nothing was waiting any more; no ValueError
