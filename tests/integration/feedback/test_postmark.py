"""Tests of flask_broadcasts.feedback.postmark.

The ``postmark`` callback: basic auth, and Postmark's Delivery, Bounce and SpamComplaint records."""

from __future__ import annotations

import json

import pytest

from flask_broadcasts.statuses import ChannelStatus, ErrorCode, MessageStatus
from tests.support.feedback import (
    ORG_A,
    campaign_row,
    feedback_rows,
    message_row,
    postmark_auth,
    postmark_bounce,
    postmark_complaint,
    postmark_delivery,
    seed_mail,
    suppressions,
)

PATH = "/api/broadcast-callbacks/postmark"


def post(app, record: dict, headers: dict[str, str] | None = None):
    return app.test_client().post(
        PATH, data=json.dumps(record), headers=postmark_auth() if headers is None else headers
    )


def test_records_match_by_the_kept_message_id(app):
    seeded = seed_mail(app, "ann@example.test", "bob@example.test", "cy@example.test")
    assert post(app, postmark_delivery(seeded.headers[0], "ann@example.test")).status_code == 204
    assert post(app, postmark_bounce(seeded.headers[1], "bob@example.test")).status_code == 204
    assert post(app, postmark_complaint(seeded.headers[2], "cy@example.test")).status_code == 204

    ann, bob, cy = (message_row(app, i) for i in seeded.message_ids)
    assert (ann.status, ann.mail_status) == (MessageStatus.DELIVERED, ChannelStatus.DELIVERED)
    assert (bob.status, bob.mail_status, bob.error_code) == (
        MessageStatus.FAILED,
        ChannelStatus.BOUNCED,
        ErrorCode.BOUNCED,
    )
    assert cy.error_code == ErrorCode.COMPLAINED
    assert sorted(suppressions(app)) == [
        (ORG_A, "bob@example.test", "bounced"),
        (ORG_A, "cy@example.test", "complained"),
    ]
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.delivered_count, campaign.bounced_count, campaign.complained_count) == (1, 1, 1)


def test_a_repeated_bounce_record_counts_once(app):
    seeded = seed_mail(app, "ann@example.test")
    record = postmark_bounce(seeded.headers[0], "ann@example.test", record_id=4323372036854775807)
    for _ in range(2):
        assert post(app, record).status_code == 204
    assert feedback_rows(app) == 1
    assert campaign_row(app, seeded.campaign_id).failed_count == 1


def test_a_soft_bounce_is_recorded_without_suppressing(app):
    seeded = seed_mail(app, "ann@example.test")
    assert post(app, postmark_bounce(seeded.headers[0], "ann@example.test", kind="SoftBounce")).status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert suppressions(app) == [] and feedback_rows(app) == 1


def test_an_auto_responder_is_not_a_bounce(app):
    seeded = seed_mail(app, "ann@example.test")
    assert post(app, postmark_bounce(seeded.headers[0], "ann@example.test", kind="AutoResponder")).status_code == 204
    assert feedback_rows(app) == 0


@pytest.mark.parametrize(
    "headers",
    [
        {},
        postmark_auth(password="wrong"),
        postmark_auth(user="someone"),
        {"Authorization": "Bearer abc"},
        {"Authorization": "Basic !!!"},
    ],
    ids=["none", "password", "user", "bearer", "not-base64"],
)
def test_wrong_credentials_are_401_and_change_nothing(app, headers):
    seeded = seed_mail(app, "ann@example.test")
    assert post(app, postmark_bounce(seeded.headers[0], "ann@example.test"), headers).status_code == 401
    assert suppressions(app) == [] and feedback_rows(app) == 0


def test_no_credentials_configured_refuses_everything(make_app):
    app = make_app(BROADCASTS_POSTMARK_WEBHOOK_PASSWORD=None)
    seeded = seed_mail(app, "ann@example.test")
    assert post(app, postmark_bounce(seeded.headers[0], "ann@example.test")).status_code == 401
    assert suppressions(app) == []
