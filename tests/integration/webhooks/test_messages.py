"""``flask_broadcasts.webhooks.messages``: the message events of a send batch.

What a host relies on: each message's outcome sends its signal (``message_sent`` or
``message_failed``) to a connected receiver; a webhook that subscribed to message events
gets one delivery per flush and event type carrying every message of the flush, with its
recipient — only the types it subscribed to, only its own organization's — and the
delivery is queued once the flush is committed. (Its cost with nobody listening:
test_signal_cost.py; through real runs: test_delivery.py.)
"""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from flask_broadcasts import signals
from flask_broadcasts.engine import materialize
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage, BroadcastWebhook, BroadcastWebhookDelivery
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import MessageStatus
from flask_broadcasts.webhooks.messages import MessageEvents, announce
from tests.support.fixtures import ORG, make_campaign, seed_customers
from tests.support.webhooks import RecordingWebhookQueue


@pytest.fixture
def run(app):
    """A materialized run of three customers: ``(campaign_id, [message ids])``."""
    from tests.support.hostapp import db

    get_state(app).webhook_queue = RecordingWebhookQueue()
    seed_customers(3)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize.materialize_run(campaign_id, "once", "test-materializer")
    ids = db.session.scalars(sa.select(BroadcastMessage.id).order_by(BroadcastMessage.id)).all()
    return campaign_id, list(ids)


def _webhook(db, events: list[str], *, organization: str = ORG, active: bool = True) -> int:
    webhook = BroadcastWebhook(
        organization_id=organization, url="https://hooks.example.test/", events=events, signing_secret="whsec_x"
    )
    webhook.active = active
    db.session.add(webhook)
    db.session.commit()
    return webhook.id


def _deliveries(db) -> list[tuple[int, str, dict]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(
            BroadcastWebhookDelivery.webhook_id, BroadcastWebhookDelivery.event_type, BroadcastWebhookDelivery.payload
        ).order_by(BroadcastWebhookDelivery.id)
    )
    return [(webhook_id, event, json.loads(payload)["data"]) for webhook_id, event, payload in rows]


def test_one_delivery_per_flush_and_event_type_carries_every_message_with_its_recipient(app, run):
    from tests.support.hostapp import db

    campaign_id, (first, second, third) = run
    both = _webhook(db, ["message.sent", "message.failed"])
    failures = _webhook(db, ["message.failed"])
    _webhook(db, ["message.sent"], organization="org-2")
    _webhook(db, ["message.sent"], active=False)

    events = MessageEvents(db.session, campaign_id, "once")
    events.message(first, MessageStatus.COMPLETED, None)
    events.message(second, MessageStatus.FAILED, "refused")
    events.message(third, MessageStatus.COMPLETED, None)
    events.flush(db.session)

    found = _deliveries(db)
    assert sorted((webhook_id, event) for webhook_id, event, _ in found) == sorted(
        [(both, "message.sent"), (both, "message.failed"), (failures, "message.failed")]
    )
    sent = next(data for webhook_id, event, data in found if event == "message.sent")
    assert (sent["organization_id"], sent["campaign_id"], sent["run_key"]) == (ORG, campaign_id, "once")
    assert [(m["id"], m["status"], m["error_code"]) for m in sent["messages"]] == [
        (first, "completed", None),
        (third, "completed", None),
    ]
    assert all(m["recipient_type"] == "customers" and m["recipient_id"] for m in sent["messages"])
    failed = [data for _, event, data in found if event == "message.failed"]
    assert [[(m["id"], m["error_code"]) for m in data["messages"]] for data in failed] == [[(second, "refused")]] * 2
    # Queued after the commit that stored them, each once.
    queued = get_state(app).webhook_queue.take()
    assert sorted(queued) == sorted(db.session.scalars(sa.select(BroadcastWebhookDelivery.id)))
    events.flush(db.session)  # nothing noted since: nothing more
    assert len(_deliveries(db)) == 3


def test_each_outcome_sends_its_signal_to_a_connected_receiver(app, run):
    from tests.support.hostapp import db

    campaign_id, (first, second, _) = run
    heard: list[tuple[str, dict]] = []

    def on_sent(sender, **data):
        heard.append(("sent", data))

    def on_failed(sender, **data):
        heard.append(("failed", data))

    signals.message_sent.connect(on_sent)
    signals.message_failed.connect(on_failed)
    try:
        events = MessageEvents(db.session, campaign_id, "once")
        events.message(first, MessageStatus.DELIVERED, None)
        events.message(second, MessageStatus.FAILED, "refused")
    finally:
        signals.message_sent.disconnect(on_sent)
        signals.message_failed.disconnect(on_failed)
    assert [(kind, data["message_id"], data["status"], data["error_code"]) for kind, data in heard] == [
        ("sent", first, "delivered", None),
        ("failed", second, "failed", "refused"),
    ]
    assert {(data["organization_id"], data["campaign_id"], data["run_key"]) for _, data in heard} == {
        (ORG, campaign_id, "once")
    }
    assert events.noted == []  # no webhook wants them: nothing kept for a flush


def test_announced_outcomes_reach_a_subscribed_webhook_and_nothing_is_stored_without_one(app, run):
    from tests.support.hostapp import db

    campaign_id, (first, second, _) = run
    announce(db.session, campaign_id, "once", [(first, MessageStatus.FAILED, "suppressed")])
    assert _deliveries(db) == []  # nobody subscribed
    webhook = _webhook(db, ["message.failed"])
    announce(db.session, campaign_id, "once", [(second, MessageStatus.FAILED, "suppressed")])
    [(webhook_id, event, data)] = _deliveries(db)
    assert (webhook_id, event, [m["id"] for m in data["messages"]]) == (webhook, "message.failed", [second])
    assert len(get_state(app).webhook_queue.take()) == 1
