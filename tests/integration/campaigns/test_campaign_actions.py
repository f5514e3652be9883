"""The campaign actions start, stop, pause, resume: GET and POST, 200 with the campaign, 409
``illegal_transition`` with ``meta.status`` for every move the transitions table refuses."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus
from tests.support.dispatch import RecordingDispatcher
from tests.support.host_fixtures import JSONAPI, db, make_campaign, make_customer, make_message

ACTIONS = ("start", "stop", "pause", "resume")
# Where each action is legal, and the status it leaves (stop on a draft: a no-op).
LEGAL = {
    "start": {"draft": "pending"},
    "stop": {s.value: "draft" for s in CampaignStatus},
    "pause": {"pending": "paused", "in-progress": "paused"},
    "resume": {"paused": "pending"},  # no message stored yet: back to pending
}


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    state = get_state(app)
    state.dispatcher = recording
    state.publisher = RecordingPublisher()
    return recording


def _campaign(status: str):
    campaign = make_campaign(status=status, run_key=None if status == "draft" else "once")
    if status != "draft":
        db.session.add(
            BroadcastRun(
                organization_id=campaign.organization_id,
                campaign_id=campaign.id,
                run_key="once",
                status="pending",
                total_count=0,
                sent_count=0,
                failed_count=0,
            )
        )
        db.session.commit()
    return campaign


@pytest.mark.parametrize("status", [s.value for s in CampaignStatus])
@pytest.mark.parametrize("action", ACTIONS)
def test_every_action_from_every_status(api, dispatcher, action, status):
    campaign = _campaign(status)
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/{action}")
    target = LEGAL[action].get(status)
    if target is None:
        assert answer.status_code == 409, answer.json
        (error,) = answer.json["errors"]
        assert error["code"] == "illegal_transition"
        assert error["meta"] == {"status": status}
        db.session.expire_all()
        assert db.session.get(type(campaign), campaign.id).status == status
    else:
        assert answer.status_code == 200, answer.json
        assert answer.json["data"]["attributes"]["status"] == target


@pytest.mark.parametrize("action", ACTIONS)
def test_actions_accept_post_without_a_body(api, dispatcher, action):
    status = {"start": "draft", "stop": "in-progress", "pause": "in-progress", "resume": "paused"}[action]
    campaign = _campaign(status)
    url = f"/api/broadcast-campaigns/{campaign.id}/{action}?o={api.org}"
    answer = api.client.post(url, headers={"Authorization": f"Bearer {api.token}", "Accept": JSONAPI})
    assert answer.status_code == 200, answer.json
    assert answer.content_type == JSONAPI
    assert answer.json["data"]["attributes"]["status"] == LEGAL[action].get(status, "draft")


def test_a_post_body_must_still_be_jsonapi(api, dispatcher):
    campaign = _campaign("in-progress")
    url = f"/api/broadcast-campaigns/{campaign.id}/pause?o={api.org}"
    headers = {"Authorization": f"Bearer {api.token}", "Content-Type": "text/plain"}
    assert api.client.post(url, data="x", headers=headers).status_code == 415


def test_pause_twice_is_a_409_and_resume_returns_where_it_was(api, dispatcher):
    campaign = _campaign("in-progress")
    customer = make_customer()
    make_message(campaign, customer)  # a stored message: the run had started sending
    db.session.execute(sa.update(BroadcastRun).values(materialized_at=sa.func.current_timestamp()))
    db.session.commit()
    paused = api.get(f"/broadcast-campaigns/{campaign.id}/pause")
    assert paused.json["data"]["attributes"]["status"] == "paused"
    assert paused.json["data"]["attributes"]["status_reason"] == "paused"
    again = api.get(f"/broadcast-campaigns/{campaign.id}/pause")
    assert again.status_code == 409 and again.json["errors"][0]["meta"] == {"status": "paused"}
    resumed = api.get(f"/broadcast-campaigns/{campaign.id}/resume")
    assert resumed.status_code == 200
    assert resumed.json["data"]["attributes"]["status"] == "in-progress"
    assert resumed.json["data"]["attributes"]["status_reason"] is None
    # One continuation: the sending of the unsent messages (the run is materialized).
    assert dispatcher.queued == [("send", campaign.id, "once")]
    assert api.get(f"/broadcast-campaigns/{campaign.id}/resume").status_code == 409


def test_stop_from_paused_deletes_the_unsent_messages(api, dispatcher):
    campaign = _campaign("paused")
    sent = make_message(campaign, make_customer(first_name="Ann"), status="completed")
    make_message(campaign, make_customer(first_name="Bob"))
    answer = api.get(f"/broadcast-campaigns/{campaign.id}/stop")
    assert answer.json["data"]["attributes"]["status"] == "draft"
    assert answer.json["data"]["attributes"]["status_reason"] == "stopped"
    left = db.session.execute(sa.select(BroadcastMessage.id)).scalars().all()
    assert left == [sent.id]
    assert answer.json["data"]["attributes"]["sent_count"] == 1
