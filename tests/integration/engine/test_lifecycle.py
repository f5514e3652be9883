"""flask_broadcasts.engine.lifecycle: start, pause, resume and stop, as the API's actions call them.

What a user relies on: a draft starts once (a second start is a 409 ``illegal_transition``
saying the status); a pause holds the run and cancels its waiting jobs, and a resume goes on
where it was (``in-progress`` once stored, ``pending`` before, its job queued again); a stop
deletes the unsent messages and leaves the handed-over ones; another organization's campaign
is not found; without ``BROADCASTS_PUBLIC_URL`` an e-mail campaign does not start.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from rq import Queue

from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign, start_campaign, stop_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.errors import ConflictError, NotFoundError
from flask_broadcasts.models import BroadcastMessage
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config
from tests.support.host import db


def _queue(app) -> Queue:
    state = get_state(app)
    return Queue(state.settings.queue, connection=state.redis)


def _started(app, recipients: int = 3, *, stored: bool = True) -> int:
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    if stored:
        _queue(app).empty()  # no worker here: store the run inline
        assert materialize_run(campaign_id, "once", "test-worker") == recipients
    return campaign_id


def _message_statuses(campaign_id: int) -> list[str]:
    db.session.rollback()
    return sorted(
        db.session.scalars(sa.select(BroadcastMessage.status).where(BroadcastMessage.campaign_id == campaign_id))
    )


def test_a_draft_starts_once_and_a_second_start_is_an_illegal_transition(app, env) -> None:
    seed_customers(2)
    campaign_id = make_campaign()

    campaign = start_campaign(ORG, campaign_id)

    assert (campaign.status, campaign.run_key) == ("pending", "once")
    assert _queue(app).count == 1  # the run's storing is queued
    with pytest.raises(ConflictError) as raised:
        start_campaign(ORG, campaign_id)
    assert raised.value.error_code == "illegal_transition" and raised.value.meta == {"status": "pending"}


def test_a_pause_holds_the_run_and_cancels_its_jobs_and_a_resume_goes_on_where_it_was(app, env) -> None:
    campaign_id = _started(app, stored=False)  # its storing is still queued
    with pytest.raises(NotFoundError):
        pause_campaign("org-2", campaign_id)  # another organization's: not found, left alone
    assert campaign_row(campaign_id).status == "pending"

    paused = pause_campaign(ORG, campaign_id)

    assert (paused.status, paused.status_reason) == ("paused", "paused")
    assert _queue(app).count == 0
    resumed = resume_campaign(ORG, campaign_id)
    assert (resumed.status, resumed.status_reason) == ("pending", None)  # nothing stored yet
    assert _queue(app).count == 1  # the storing is queued again
    with pytest.raises(ConflictError) as raised:
        resume_campaign(ORG, campaign_id)
    assert raised.value.error_code == "illegal_transition"


def test_a_stored_run_resumes_in_progress_with_a_send_job(app, env) -> None:
    campaign_id = _started(app)
    pause_campaign(ORG, campaign_id)
    _queue(app).empty()

    resumed = resume_campaign(ORG, campaign_id)

    assert resumed.status == "in-progress"
    assert [job.func_name for job in _queue(app).jobs] == ["flask_broadcasts.background.jobs.send_batch"]


def test_a_stop_deletes_the_unsent_messages_and_keeps_the_handed_over_ones(app, env) -> None:
    campaign_id = _started(app)
    first = db.session.scalar(
        sa.select(sa.func.min(BroadcastMessage.id)).where(BroadcastMessage.campaign_id == campaign_id)
    )
    db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id == first).values(status="completed"))
    db.session.commit()

    stopped = stop_campaign(ORG, campaign_id)

    assert (stopped.status, stopped.status_reason) == ("draft", "stopped")
    assert _message_statuses(campaign_id) == ["completed"]
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count) == (1, 0)  # the counters say what was handed over
    assert stop_campaign(ORG, campaign_id).status == "draft"  # idempotent on a draft


def test_without_a_public_url_an_email_campaign_does_not_start(app, env) -> None:
    set_config(env, app, BROADCASTS_PUBLIC_URL=None)
    seed_customers(1)
    campaign_id = make_campaign()

    with pytest.raises(ConflictError) as raised:
        start_campaign(ORG, campaign_id)

    assert raised.value.error_code == "public_url_required"
    assert campaign_row(campaign_id).status == "draft"
