"""Webhook deliveries of real campaign runs to a real HTTP server on loopback: signatures
(checked by an independent implementation), batching of message events, retries after
500s and timeouts, giving up and deactivation, a redirect not followed, the SSRF guard at
every request, rotation, redelivery."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from flask_broadcasts import signals
from flask_broadcasts.engine import materialize, sending
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastWebhook, BroadcastWebhookDelivery
from flask_broadcasts.state import get_state
from flask_broadcasts.webhooks import service
from flask_broadcasts.webhooks.delivery import attempt_delivery
from tests.support.fixtures import ORG, make_campaign, seed_customers, set_config
from tests.support.webhook_receiver import WebhookReceiver, signature_valid
from tests.support.webhooks import LOOPBACK_WEBHOOKS, RecordingWebhookQueue


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver().start()
    yield server
    server.stop()


@pytest.fixture
def queue(app, env) -> RecordingWebhookQueue:
    set_config(env, app, **LOOPBACK_WEBHOOKS)
    double = get_state(app).webhook_queue = RecordingWebhookQueue()
    return double


def _deliveries(db) -> list[BroadcastWebhookDelivery]:
    db.session.rollback()
    return db.session.scalars(sa.select(BroadcastWebhookDelivery).order_by(BroadcastWebhookDelivery.id)).all()


def _drain(queue: RecordingWebhookQueue) -> list[str]:
    """Run every queued attempt (and the ones they queue) until none is due."""
    outcomes = []
    while ids := queue.take():
        outcomes += [attempt_delivery(delivery_id) for delivery_id in ids]
    return outcomes


def _run(campaign_id: int) -> None:
    materialize.materialize_run(campaign_id, "once", "test-materializer")
    while sending.send_batch(campaign_id, "once", "test-sender").claimed:
        pass


def test_a_run_reaches_the_webhook_signed_with_message_events_batched(app, env, smtp, queue, receiver):
    from tests.support.hostapp import db

    set_config(env, app, **LOOPBACK_WEBHOOKS, BROADCASTS_PROGRESS_INTERVAL=0, BROADCASTS_COUNTER_FLUSH=10)
    seed_customers(30, refuse_every=10)
    campaign_id = make_campaign()
    events = ["campaign.started", "campaign.completed", "message.sent", "message.failed"]
    webhook = service.create_webhook(ORG, {"url": receiver.url, "events": events})
    secret = webhook.secret
    service.create_webhook("another-org", {"url": receiver.url + "/other", "events": events})

    start_campaign(ORG, campaign_id)
    _run(campaign_id)
    assert set(_drain(queue)) == {"delivered"}

    bodies = [json.loads(r.body) for r in receiver.received]
    assert all(r.path == "/hooks" for r in receiver.received)  # nothing for the other organization
    assert all(signature_valid(secret, r.headers, r.body) for r in receiver.received)
    assert len({r.headers["webhook-id"] for r in receiver.received}) == len(receiver.received)
    types = [body["type"] for body in bodies]
    assert types[0] == "campaign.started" and types[-1] == "campaign.completed"
    assert {body["data"]["organization_id"] for body in bodies} == {ORG}
    assert {body["data"]["campaign_id"] for body in bodies} == {campaign_id}
    sent = [m for body in bodies if body["type"] == "message.sent" for m in body["data"]["messages"]]
    failed = [m for body in bodies if body["type"] == "message.failed" for m in body["data"]["messages"]]
    assert (len(sent), len(failed)) == (27, 3)
    assert {m["error_code"] for m in failed} == {"refused"}
    assert len({m["id"] for m in sent + failed}) == 30
    # One delivery carries many messages: one per counter flush of ten, not one per message.
    assert types.count("message.sent") <= 4
    assert bodies[-1]["data"]["status"] == "completed" and bodies[-1]["data"]["sent_count"] == 27
    log = _deliveries(db)
    assert {(d.status, d.attempts, d.response_status) for d in log} == {("delivered", 1, 200)}
    assert all(d.duration_ms is not None and d.completed_at is not None for d in log)


def test_retried_after_a_500_and_a_timeout_with_the_same_webhook_id(app, env, queue, receiver):
    from tests.support.hostapp import db

    campaign_id = make_campaign()
    service.create_webhook(ORG, {"url": receiver.url, "events": ["campaign.started"]})
    start_campaign(ORG, campaign_id)
    receiver.script = [500, ("sleep", 1.5)]
    [delivery_id] = queue.take()

    assert attempt_delivery(delivery_id) == "pending"
    [(again, at)] = queue.queued
    assert again == delivery_id and at is not None
    first = _deliveries(db)[0]
    assert (first.attempts, first.response_status, first.error) == (1, 500, "HTTP 500: ok")
    assert attempt_delivery(delivery_id) == "not due"  # a second job before the next attempt's time
    time.sleep(0.25)
    assert attempt_delivery(queue.take()[0]) == "pending"
    timed_out = _deliveries(db)[0]
    assert timed_out.response_status is None and "timed out" in timed_out.error
    time.sleep(0.25)
    assert attempt_delivery(queue.take()[0]) == "delivered"
    done = _deliveries(db)[0]
    assert (done.status, done.attempts, done.response_status, done.error) == ("delivered", 3, 200, None)
    assert len({r.headers["webhook-id"] for r in receiver.wait_for(3)}) == 1


def test_given_up_after_the_give_up_time_the_webhook_is_deactivated_with_an_event(app, env, queue, receiver):
    from tests.support.hostapp import db

    set_config(env, app, **LOOPBACK_WEBHOOKS, BROADCASTS_WEBHOOK_GIVE_UP_AFTER=0.5)
    failing = service.create_webhook(ORG, {"url": receiver.url + "/failing", "events": ["campaign.started"]})
    watcher = service.create_webhook(ORG, {"url": receiver.url, "events": ["webhook.deactivated"]})
    heard = []

    def on_deactivated(sender, **data):
        heard.append(data)

    signals.webhook_deactivated.connect(on_deactivated)
    receiver.failing_paths = {"/hooks/failing"}
    try:
        start_campaign(ORG, make_campaign())
        outcomes = []
        while ids := queue.take():
            outcomes += [attempt_delivery(i) for i in ids]
            time.sleep(0.2)
    finally:
        signals.webhook_deactivated.disconnect(on_deactivated)
    assert outcomes[-1] == "delivered" and "failed" in outcomes
    db.session.rollback()
    webhook = db.session.get(BroadcastWebhook, failing.id)
    assert webhook.active is False and webhook.deactivated_at is not None
    by_webhook = {d.webhook_id: d for d in _deliveries(db)}
    assert by_webhook[failing.id].status == "failed" and by_webhook[failing.id].attempts >= 2
    assert heard == [{"organization_id": ORG, "webhook_id": failing.id, "url": failing.url}]
    told = json.loads(receiver.received[-1].body)
    assert told["type"] == "webhook.deactivated" and told["data"]["webhook_id"] == failing.id
    assert by_webhook[watcher.id].status == "delivered"
    # Nothing more goes to a deactivated webhook; a redelivery waits for its reactivation.
    with pytest.raises(Exception, match="not active"):
        service.redeliver(ORG, by_webhook[failing.id].id)


def test_a_redirect_is_not_followed(app, env, queue, receiver):
    from tests.support.hostapp import db

    service.create_webhook(ORG, {"url": receiver.url, "events": ["campaign.started"]})
    start_campaign(ORG, make_campaign())
    receiver.script = [("redirect", receiver.url + "/elsewhere")]
    assert attempt_delivery(queue.take()[0]) == "pending"
    [delivery] = _deliveries(db)
    assert delivery.response_status == 307 and "not followed" in delivery.error
    assert [r.path for r in receiver.received] == ["/hooks"]


def test_every_request_goes_through_the_guard_again(app, env, queue, receiver):
    from tests.support.hostapp import db

    service.create_webhook(ORG, {"url": receiver.url, "events": ["campaign.started"]})
    set_config(env, app, **{**LOOPBACK_WEBHOOKS, "BROADCASTS_WEBHOOK_ALLOWED_NETWORKS": []})
    start_campaign(ORG, make_campaign())
    assert attempt_delivery(queue.take()[0]) == "pending"
    [delivery] = _deliveries(db)
    assert delivery.response_status is None and "loopback" in delivery.error
    assert receiver.received == []


def test_rotation_signs_with_both_secrets_for_the_grace_then_redeliver_resends_the_same_event(
    app, env, queue, receiver
):
    from tests.support.hostapp import db

    created = service.create_webhook(ORG, {"url": receiver.url, "events": ["campaign.started"]})
    old = created.secret
    rotated = service.rotate_secret(ORG, created.id)
    assert rotated.secret != old and rotated.secret.startswith("whsec_")
    assert service.get_webhook(ORG, created.id).secret is None  # shown once
    start_campaign(ORG, make_campaign())
    assert _drain(queue) == ["delivered"]
    [first] = receiver.received
    assert signature_valid(rotated.secret, first.headers, first.body)
    assert signature_valid(old, first.headers, first.body)

    set_config(env, app, **LOOPBACK_WEBHOOKS, BROADCASTS_WEBHOOK_SECRET_GRACE=0)
    service.rotate_secret(ORG, created.id)  # no grace: only the newest key signs
    newest = service.rotate_secret(ORG, created.id).secret
    copy = service.redeliver(ORG, _deliveries(db)[0].id)
    assert _drain(queue) == ["delivered"]
    second = receiver.received[1]
    assert second.body == first.body and second.headers["webhook-id"] == first.headers["webhook-id"]
    assert signature_valid(newest, second.headers, second.body)
    assert not signature_valid(rotated.secret, second.headers, second.body)
    assert [d.id for d in _deliveries(db)][-1] == copy.id


def test_messages_failed_before_any_send_reach_the_webhook_and_the_signal(app, env, smtp, queue, receiver):
    """No address (stored failed), suppressed before the run (stored failed), suppressed after
    the run stored its messages (settled when a batch is claimed): each is a ``message.failed``."""
    from flask_broadcasts.services.suppressions import suppress

    set_config(env, app, **LOOPBACK_WEBHOOKS)
    seed_customers(12, no_email_every=6)  # c6 and c12 have no address
    campaign_id = make_campaign()
    service.create_webhook(ORG, {"url": receiver.url, "events": ["message.sent", "message.failed"]})
    heard: list[tuple[str, str | None]] = []

    def on_failed(sender, **event):  # noqa: ANN001, ANN003
        heard.append((event["status"], event["error_code"]))

    signals.message_failed.connect(on_failed)
    try:
        suppress(ORG, "mail", "c1@example.test", "manual", {"kind": "user", "id": None})
        start_campaign(ORG, campaign_id)
        materialize.materialize_run(campaign_id, "once", "test-materializer")
        suppress(ORG, "mail", "c2@example.test", "unsubscribed", {"kind": "message", "id": None})
        while sending.send_batch(campaign_id, "once", "test-sender").claimed:
            pass
    finally:
        signals.message_failed.disconnect(on_failed)
    assert set(_drain(queue)) == {"delivered"}

    bodies = [json.loads(r.body) for r in receiver.received]
    failed = [m for body in bodies if body["type"] == "message.failed" for m in body["data"]["messages"]]
    sent = [m for body in bodies if body["type"] == "message.sent" for m in body["data"]["messages"]]
    assert sorted(m["error_code"] for m in failed) == ["no_channel", "no_channel", "suppressed", "suppressed"]
    assert len(sent) == 8 and len({m["id"] for m in failed + sent}) == 12
    assert sorted(code for _, code in heard) == ["no_channel", "no_channel", "suppressed", "suppressed"]
