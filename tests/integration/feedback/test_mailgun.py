"""Tests of flask_broadcasts.feedback.mailgun.

The ``mailgun`` callback: the HMAC of timestamp + token, the five-minute window, its events."""

from __future__ import annotations

import json
import time

import pytest

from flask_broadcasts.statuses import ErrorCode, MessageStatus
from tests.support.feedback import (
    ORG_A,
    campaign_row,
    feedback_rows,
    mailgun_body,
    mailgun_event,
    message_row,
    seed_mail,
    suppressions,
)

PATH = "/api/broadcast-callbacks/mailgun"


def post(app, body: bytes):
    return app.test_client().post(PATH, data=body, headers={"Content-Type": "application/json"})


def test_delivered_failed_and_complained(app):
    seeded = seed_mail(app, "ann@example.test", "bob@example.test", "cy@example.test")
    assert post(app, mailgun_body(mailgun_event("delivered", seeded.headers[0], "ann@example.test"))).status_code == 204
    failed = mailgun_event("failed", seeded.headers[1], "bob@example.test", severity="permanent")
    assert post(app, mailgun_body(failed)).status_code == 204
    assert post(app, mailgun_body(mailgun_event("complained", seeded.headers[2], "cy@example.test"))).status_code == 204

    ann, bob, cy = (message_row(app, i) for i in seeded.message_ids)
    assert ann.status == MessageStatus.DELIVERED
    assert (bob.status, bob.error_code) == (MessageStatus.FAILED, ErrorCode.BOUNCED)
    assert "mailgun 550" in bob.error
    assert cy.error_code == ErrorCode.COMPLAINED
    assert sorted(suppressions(app)) == [
        (ORG_A, "bob@example.test", "bounced"),
        (ORG_A, "cy@example.test", "complained"),
    ]


def test_a_temporary_failure_is_a_soft_bounce(app):
    seeded = seed_mail(app, "ann@example.test")
    event = mailgun_event("failed", seeded.headers[0], "ann@example.test", severity="temporary")
    assert post(app, mailgun_body(event)).status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert suppressions(app) == [] and feedback_rows(app) == 1


def test_a_replay_within_the_window_changes_nothing_more(app):
    seeded = seed_mail(app, "ann@example.test")
    body = mailgun_body(mailgun_event("failed", seeded.headers[0], "ann@example.test", severity="permanent"))
    for _ in range(3):
        assert post(app, body).status_code == 204
    assert campaign_row(app, seeded.campaign_id).failed_count == 1
    assert feedback_rows(app) == 1


@pytest.mark.parametrize("age", [301, -301])
def test_a_timestamp_more_than_five_minutes_away_is_401(app, age):
    seeded = seed_mail(app, "ann@example.test")
    event = mailgun_event("failed", seeded.headers[0], "ann@example.test", severity="permanent")
    assert post(app, mailgun_body(event, timestamp=time.time() - age)).status_code == 401
    assert suppressions(app) == []


@pytest.mark.parametrize("damage", ["key", "token", "signature", "unsigned"])
def test_a_bad_signature_is_401_and_changes_nothing(app, damage):
    seeded = seed_mail(app, "ann@example.test")
    event = mailgun_event("failed", seeded.headers[0], "ann@example.test", severity="permanent")
    document = json.loads(
        mailgun_body(event, key="another-key" if damage == "key" else "key-mailgun-signing-0123456789")
    )
    if damage == "token":
        document["signature"]["token"] += "x"
    elif damage == "signature":
        document["signature"]["signature"] = "0" * 64
    elif damage == "unsigned":
        del document["signature"]
    assert post(app, json.dumps(document).encode()).status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert feedback_rows(app) == 0


def test_no_signing_key_refuses_everything(make_app):
    app = make_app(BROADCASTS_MAILGUN_SIGNING_KEY=None)
    seeded = seed_mail(app, "ann@example.test")
    body = mailgun_body(mailgun_event("failed", seeded.headers[0], "ann@example.test", severity="permanent"))
    assert post(app, body).status_code == 401
