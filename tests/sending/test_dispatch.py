"""Send jobs a run's materialization queues: enough to start sending at once, never a pile."""

from __future__ import annotations

from rq import Queue

from flask_broadcasts.extension import get_state
from flask_broadcasts.services.campaign_runs import start_campaign
from flask_broadcasts.services.materialize import materialize_run
from tests.support.fixtures import ORG, make_campaign, seed_customers


def test_materialization_keeps_one_send_job_waiting_not_one_per_chunk(app, env, smtp):
    seed_customers(450)  # BROADCASTS_INSERT_CHUNK=100: five chunks
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    state = get_state(app)
    queue = Queue(state.settings.queue, connection=state.redis)
    queue.empty()  # the materialize job start queued: run here, inline, instead

    assert materialize_run(campaign_id, "once", "test-worker") == 450

    send_jobs = [job for job in queue.get_jobs() if job.func_name == "flask_broadcasts.jobs.send_batch"]
    # The first chunk queued a send job; no worker took it, so the next four did not add any.
    assert [job.args for job in send_jobs] == [(campaign_id, "once")]
    assert send_jobs[0].id.endswith("-m0")
