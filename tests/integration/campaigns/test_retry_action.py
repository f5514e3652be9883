"""``/broadcast-campaigns/{id}/retry``: GET and POST, only on a completed one-off campaign; what it
reopens (the temporarily failed messages of the last run) and what it never touches."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus
from tests.support.dispatch import RecordingDispatcher
from tests.support.host_fixtures import JSONAPI, db, make_campaign, make_customer, make_message


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    state = get_state(app)
    state.dispatcher = recording
    state.publisher = RecordingPublisher()
    return recording


def _completed_run(**values):
    """A completed campaign whose run sent one message and failed one per error code given."""
    campaign = make_campaign(status=values.pop("status", "completed"), run_key="once", runs_count=1, **values)
    db.session.add(
        BroadcastRun(
            organization_id=campaign.organization_id,
            campaign_id=campaign.id,
            run_key="once",
            status="completed",
            total_count=0,
            sent_count=0,
            failed_count=0,
            materialized_at=sa.func.current_timestamp(),
        )
    )
    db.session.commit()
    make_message(campaign, make_customer(first_name="Sent"), status="completed", mail_status="sent", tries=1)
    return campaign


def _failed(campaign, name: str, code: str, mail_status: str = "refused"):
    return make_message(
        campaign,
        make_customer(first_name=name),
        status="failed",
        error=f"mail: {code}",
        error_code=code,
        mail_status=mail_status,
        tries=3,
    )


def _count(campaign):
    db.session.execute(
        sa.update(type(campaign))
        .where(type(campaign).id == campaign.id)
        .values(
            sent_count=sa.select(sa.func.count())
            .where(BroadcastMessage.campaign_id == campaign.id, BroadcastMessage.status == "completed")
            .scalar_subquery(),
            failed_count=sa.select(sa.func.count())
            .where(BroadcastMessage.campaign_id == campaign.id, BroadcastMessage.status == "failed")
            .scalar_subquery(),
            total_count=sa.select(sa.func.count()).where(BroadcastMessage.campaign_id == campaign.id).scalar_subquery(),
        )
    )
    db.session.commit()


@pytest.mark.parametrize("method", ["get", "post"])
def test_retry_reopens_only_the_temporary_failures(api, dispatcher, method):
    campaign = _completed_run()
    grey = _failed(campaign, "Grey", "temporary_failure")
    kept = {code: _failed(campaign, code.title(), code) for code in ("refused", "invalid_mobile", "no_channel")}
    unknown = _failed(campaign, "Unknown", "outcome_unknown", mail_status="unknown")
    _count(campaign)
    url = f"/api/broadcast-campaigns/{campaign.id}/retry?o={api.org}"
    headers = {"Authorization": f"Bearer {api.token}", "Accept": JSONAPI}
    answer = getattr(api.client, method)(url, headers=headers)
    assert answer.status_code == 200, answer.json
    attributes = answer.json["data"]["attributes"]
    assert (attributes["status"], attributes["sent_count"], attributes["failed_count"]) == ("pending", 1, 4)
    assert (attributes["total_count"], attributes["runs_count"], attributes["completed_at"]) == (6, 1, None)
    db.session.expire_all()
    grey = db.session.get(BroadcastMessage, grey.id)
    assert (grey.status, grey.error, grey.error_code, grey.mail_status, grey.tries) == ("pending", None, None, None, 0)
    assert grey.run_key == "once"  # the same run: its Message-ID and idempotency key
    for code, message in kept.items():
        message = db.session.get(BroadcastMessage, message.id)
        assert (message.status, message.error_code) == ("failed", code)
    assert db.session.get(BroadcastMessage, unknown.id).status == "failed"
    assert db.session.get(BroadcastRun, 1).status == "pending"
    assert dispatcher.queued == [("send", campaign.id, "once")]


def test_include_unknown_retries_messages_of_unknown_outcome_too(api, dispatcher):
    campaign = _completed_run()
    unknown = _failed(campaign, "Unknown", "outcome_unknown", mail_status="unknown")
    _count(campaign)
    # Without the flag there is nothing to retry.
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/retry")
    assert answer.status_code == 409
    (error,) = answer.json["errors"]
    assert (error["code"], error["meta"]) == ("nothing_to_retry", {"status": "completed"})
    assert "include_unknown" in error["detail"]
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/retry", include_unknown="true")
    assert answer.status_code == 200, answer.json
    db.session.expire_all()
    message = db.session.get(BroadcastMessage, unknown.id)
    assert (message.status, message.mail_status, message.error_code) == ("pending", None, None)


def test_include_unknown_must_be_a_flag(api, dispatcher):
    campaign = _completed_run()
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/retry", include_unknown="maybe")
    assert answer.status_code == 400
    assert answer.json["errors"][0]["source"] == {"parameter": "include_unknown"}


@pytest.mark.parametrize("status", [s.value for s in CampaignStatus if s is not CampaignStatus.COMPLETED])
def test_retry_is_only_for_a_completed_campaign(api, dispatcher, status):
    campaign = _completed_run(status=status)
    _failed(campaign, "Grey", "temporary_failure")
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/retry")
    assert answer.status_code == 409, answer.json
    (error,) = answer.json["errors"]
    assert (error["code"], error["meta"]) == ("illegal_transition", {"status": status})
    assert dispatcher.queued == []


def test_a_recurring_campaign_is_not_retried(api, dispatcher):
    campaign = _completed_run(recurring=True, cron="0 9 * * *")
    grey = _failed(campaign, "Grey", "temporary_failure")
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/retry")
    assert answer.status_code == 409
    assert answer.json["errors"][0]["code"] == "illegal_transition"
    assert "next run" in answer.json["errors"][0]["detail"]
    db.session.expire_all()
    assert db.session.get(BroadcastMessage, grey.id).status == "failed"


def test_another_organizations_campaign_is_a_404(api_b, dispatcher):
    campaign = _completed_run()
    _failed(campaign, "Grey", "temporary_failure")
    assert api_b.get(f"/broadcast-campaigns/{campaign.id}/retry").status_code == 404
    db.session.expire_all()
    assert db.session.get(type(campaign), campaign.id).status == "completed"
