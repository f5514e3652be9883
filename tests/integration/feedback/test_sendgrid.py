"""Tests of flask_broadcasts.feedback.sendgrid.

The ``sendgrid`` callback: the Event Webhook's ECDSA signature and its batches of events."""

from __future__ import annotations

import json

import pytest

from flask_broadcasts.statuses import ChannelStatus, ErrorCode, MessageStatus
from tests.support.feedback import (
    ORG_A,
    SendGridSigner,
    campaign_row,
    feedback_rows,
    message_row,
    seed_mail,
    sendgrid_event,
    suppressions,
)

PATH = "/api/broadcast-callbacks/sendgrid"


def post(app, body: bytes, headers: dict[str, str]):
    return app.test_client().post(PATH, data=body, headers=headers)


def test_a_batch_of_events_is_applied(app, sendgrid_signer):
    seeded = seed_mail(app, "ann@example.test", "bob@example.test", "cy@example.test")
    events = [
        sendgrid_event("processed", seeded.headers[0], "ann@example.test"),
        sendgrid_event("delivered", seeded.headers[0], "ann@example.test", response="250 OK"),
        sendgrid_event(
            "bounce", seeded.headers[1], "bob@example.test", type="bounce", status="5.1.1", reason="550 no such user"
        ),
        sendgrid_event("spamreport", seeded.headers[2], "cy@example.test"),
        sendgrid_event("open", seeded.headers[2], "cy@example.test"),
    ]
    body = json.dumps(events).encode()

    assert post(app, body, sendgrid_signer.headers(body)).status_code == 204

    ann, bob, cy = (message_row(app, i) for i in seeded.message_ids)
    assert (ann.status, ann.mail_status) == (MessageStatus.DELIVERED, ChannelStatus.DELIVERED)
    assert (bob.status, bob.error_code) == (MessageStatus.FAILED, ErrorCode.BOUNCED)
    assert "550 no such user" in bob.error
    assert (cy.status, cy.error_code) == (MessageStatus.COMPLETED, ErrorCode.COMPLAINED)
    assert sorted(suppressions(app)) == [
        (ORG_A, "bob@example.test", "bounced"),
        (ORG_A, "cy@example.test", "complained"),
    ]
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.delivered_count) == (2, 1, 1)
    assert (campaign.bounced_count, campaign.complained_count) == (1, 1)


def test_a_blocked_bounce_is_soft(app, sendgrid_signer):
    seeded = seed_mail(app, "ann@example.test")
    body = json.dumps([sendgrid_event("bounce", seeded.headers[0], "ann@example.test", type="blocked")]).encode()
    assert post(app, body, sendgrid_signer.headers(body)).status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert suppressions(app) == [] and feedback_rows(app) == 1


def test_a_replayed_request_changes_nothing_more(app, sendgrid_signer):
    seeded = seed_mail(app, "ann@example.test")
    body = json.dumps([sendgrid_event("bounce", seeded.headers[0], "ann@example.test", type="bounce")]).encode()
    headers = sendgrid_signer.headers(body)
    for _ in range(3):
        assert post(app, body, headers).status_code == 204
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.bounced_count) == (0, 1, 1)
    assert feedback_rows(app) == 1


@pytest.mark.parametrize("damage", ["body", "timestamp", "signature", "missing", "other-key"])
def test_a_bad_signature_is_401_and_changes_nothing(app, sendgrid_signer, damage):
    seeded = seed_mail(app, "ann@example.test")
    body = json.dumps([sendgrid_event("bounce", seeded.headers[0], "ann@example.test", type="bounce")]).encode()
    headers = (SendGridSigner() if damage == "other-key" else sendgrid_signer).headers(body)
    if damage == "body":
        body = body.replace(b"ann@", b"bob@")
    elif damage == "timestamp":
        headers["X-Twilio-Email-Event-Webhook-Timestamp"] = str(
            int(headers["X-Twilio-Email-Event-Webhook-Timestamp"]) + 1
        )
    elif damage == "signature":
        headers["X-Twilio-Email-Event-Webhook-Signature"] = "bm90IGEgc2lnbmF0dXJl"
    elif damage == "missing":
        del headers["X-Twilio-Email-Event-Webhook-Signature"]

    assert post(app, body, headers).status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert suppressions(app) == [] and feedback_rows(app) == 0


@pytest.mark.parametrize("key", [None, "not a key"])
def test_no_usable_key_refuses_everything(make_app, sendgrid_signer, key):
    app = make_app(BROADCASTS_SENDGRID_PUBLIC_KEY=key)
    body = b"[]"
    assert post(app, body, sendgrid_signer.headers(body)).status_code == 401


def test_a_pem_key_is_accepted(make_app, sendgrid_signer):
    from cryptography.hazmat.primitives import serialization

    pem = sendgrid_signer.key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    app = make_app(BROADCASTS_SENDGRID_PUBLIC_KEY=pem.decode())
    body = b"[]"
    assert post(app, body, sendgrid_signer.headers(body)).status_code == 204


def test_a_body_over_the_cap_is_413(make_app, sendgrid_signer):
    app = make_app(BROADCASTS_MAX_CONTENT_LENGTH=1024)
    body = json.dumps([{"event": "open", "pad": "x" * 2000}]).encode()
    assert post(app, body, sendgrid_signer.headers(body)).status_code == 413
