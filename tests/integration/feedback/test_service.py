"""Tests of flask_broadcasts.feedback.service (``apply_event``).

What the reports do, whichever provider sent them: statuses only forward, suppressions in the
message's organization only, the soft-bounce streak, the counters, the signals."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts import signals
from flask_broadcasts.feedback import FeedbackEvent, FeedbackKind, Outcome, apply_event
from flask_broadcasts.models import BroadcastConsentEvent
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import ChannelStatus, ErrorCode, MessageStatus
from tests.support.feedback import (
    ORG_A,
    ORG_B,
    campaign_row,
    feedback_rows,
    message_row,
    run_row,
    seed_mail,
    suppressions,
)

HARD, SOFT = FeedbackKind.HARD_BOUNCE, FeedbackKind.SOFT_BOUNCE
DELIVERED, COMPLAINT = FeedbackKind.DELIVERED, FeedbackKind.COMPLAINT


def db_session(app):
    return get_state(app).session


def report(app, kind: FeedbackKind, header: str, address: str | None, key: str, **extra) -> Outcome:
    with app.app_context():
        return apply_event(
            FeedbackEvent(provider="test", kind=kind, key=key, message_id_header=header, address=address, **extra)
        )


def test_counters_after_a_mixed_batch_stay_subsets(app):
    emails = [f"r{i}@example.test" for i in range(8)]
    seeded = seed_mail(app, *emails)
    h = seeded.headers
    batch = [
        (DELIVERED, 0),
        (DELIVERED, 1),
        (DELIVERED, 2),
        (DELIVERED, 0),  # a repeat
        (HARD, 3),
        (HARD, 4),
        (HARD, 4),  # a repeat with another key
        (COMPLAINT, 1),
        (COMPLAINT, 5),
        (SOFT, 6),
        (HARD, 2),  # a hard bounce after delivered
    ]
    outcomes = [report(app, kind, h[i], emails[i], key=f"{kind.value}-{n}") for n, (kind, i) in enumerate(batch)]

    assert outcomes.count(Outcome.APPLIED) == len(batch)
    campaign, run = campaign_row(app, seeded.campaign_id), run_row(app, seeded.campaign_id)
    for row in (campaign, run):
        assert (row.total_count, row.sent_count, row.failed_count) == (8, 6, 2)
        assert (row.delivered_count, row.bounced_count, row.complained_count) == (3, 2, 2)
    assert message_row(app, seeded.message_ids[2]).status == MessageStatus.DELIVERED
    assert sorted(a for _, a, _ in suppressions(app)) == [
        "r1@example.test",
        "r2@example.test",
        "r3@example.test",
        "r4@example.test",
        "r5@example.test",
    ]


def test_the_same_report_twice_is_a_duplicate(app):
    seeded = seed_mail(app, "ann@example.test")
    assert report(app, HARD, seeded.headers[0], "ann@example.test", key="k") is Outcome.APPLIED
    assert report(app, HARD, seeded.headers[0], "ann@example.test", key="k") is Outcome.DUPLICATE
    assert feedback_rows(app) == 1


def test_a_complaint_keeps_a_delivered_message_delivered(app):
    seeded = seed_mail(app, "ann@example.test")
    report(app, DELIVERED, seeded.headers[0], "ann@example.test", key="d")
    report(app, COMPLAINT, seeded.headers[0], "ann@example.test", key="c")
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error_code) == (
        MessageStatus.DELIVERED,
        ChannelStatus.DELIVERED,
        ErrorCode.COMPLAINED,
    )
    assert suppressions(app) == [(ORG_A, "ann@example.test", "complained")]


def test_a_hard_bounce_after_delivered_keeps_the_status_and_still_suppresses(app):
    seeded = seed_mail(app, "ann@example.test")
    report(app, DELIVERED, seeded.headers[0], "ann@example.test", key="d")
    report(app, HARD, seeded.headers[0], "ann@example.test", key="h")
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error_code) == (
        MessageStatus.DELIVERED,
        ChannelStatus.DELIVERED,
        None,
    )
    assert suppressions(app) == [(ORG_A, "ann@example.test", "bounced")]
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.bounced_count) == (1, 0, 0)
    # The suppression is a withdrawal of consent on record, naming the message and the provider.
    with app.app_context():
        records = [
            (r.action, r.method, r.reason, r.message_id, r.reference)
            for r in db_session(app).scalars(sa.select(BroadcastConsentEvent))
        ]
    assert records == [("withdrawn", "provider", "bounced", seeded.message_ids[0], "test")]


def test_a_message_that_reached_the_recipient_by_sms_stays_completed(app):
    seeded = seed_mail(
        app, "ann@example.test", channels=("mail", "sms"), mobile="+14155552671", sms_status=ChannelStatus.SENT.value
    )
    report(app, HARD, seeded.headers[0], "ann@example.test", key="h")
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error_code) == (
        MessageStatus.COMPLETED,
        ChannelStatus.BOUNCED,
        ErrorCode.BOUNCED,
    )
    assert (campaign_row(app, seeded.campaign_id).sent_count, campaign_row(app, seeded.campaign_id).bounced_count) == (
        1,
        1,
    )


@pytest.mark.parametrize("limit", [1, 3])
def test_consecutive_soft_bounces_suppress_at_the_limit(make_app, limit):
    app = make_app(BROADCASTS_SOFT_BOUNCE_LIMIT=limit)
    seeded = seed_mail(app, *(["ann@example.test"] * 4))
    for n in range(limit - 1):
        report(app, SOFT, seeded.headers[n], "ann@example.test", key=f"s{n}")
        report(app, SOFT, seeded.headers[n], "ann@example.test", key=f"again{n}")  # same message: one
    assert suppressions(app) == []
    report(app, SOFT, seeded.headers[limit - 1], "ann@example.test", key="last")
    assert suppressions(app) == [(ORG_A, "ann@example.test", "bounced")]
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED


def test_a_delivery_ends_the_streak(make_app):
    app = make_app(BROADCASTS_SOFT_BOUNCE_LIMIT=2)
    seeded = seed_mail(app, *(["ann@example.test"] * 3))
    report(app, SOFT, seeded.headers[0], "ann@example.test", key="s0")
    report(app, DELIVERED, seeded.headers[1], "ann@example.test", key="d1")
    report(app, SOFT, seeded.headers[2], "ann@example.test", key="s2")
    assert suppressions(app) == []


def test_an_event_never_reaches_into_another_organization(app):
    mine = seed_mail(app, "ann@example.test", org=ORG_A)
    theirs = seed_mail(app, "ann@example.test", "bob@example.test", org=ORG_B)

    # A bounce of org A's message suppresses in org A only, although org B has the address too.
    report(app, HARD, mine.headers[0], "ann@example.test", key="a")
    assert suppressions(app) == [(ORG_A, "ann@example.test", "bounced")]
    # An event naming org B's message but another recipient changes nothing there...
    assert report(app, HARD, theirs.headers[1], "ann@example.test", key="b") is Outcome.UNKNOWN
    # ... and is answered as an unknown message is.
    assert report(app, HARD, "<nobody@mail.example.test>", "ann@example.test", key="c") is Outcome.UNKNOWN
    assert message_row(app, theirs.message_ids[1]).status == MessageStatus.COMPLETED
    assert campaign_row(app, theirs.campaign_id).failed_count == 0
    assert suppressions(app) == [(ORG_A, "ann@example.test", "bounced")]


def test_the_http_answer_is_the_same_for_a_foreign_or_unknown_message(app, sendgrid_signer):
    import json

    from tests.support.feedback import sendgrid_event

    theirs = seed_mail(app, "bob@example.test", org=ORG_B)
    client = app.test_client()
    answers = []
    for header in (theirs.headers[0], "<nobody@mail.example.test>"):
        body = json.dumps([sendgrid_event("bounce", header, "ann@example.test", type="bounce")]).encode()
        response = client.post("/api/broadcast-callbacks/sendgrid", data=body, headers=sendgrid_signer.headers(body))
        answers.append((response.status_code, response.data, sorted(response.headers.keys())))
    assert answers[0] == answers[1] and answers[0][0] == 204
    assert suppressions(app) == []


def test_signals_tell_the_host(app):
    heard: list[tuple[str, dict]] = []

    def on(name):
        def receiver(sender, **data):
            heard.append((name, data))

        return receiver

    receivers = {name: on(name) for name in ("delivered", "bounced", "complained")}
    signals.message_delivered.connect(receivers["delivered"])
    signals.message_bounced.connect(receivers["bounced"])
    signals.message_complained.connect(receivers["complained"])
    try:
        seeded = seed_mail(app, "ann@example.test", "bob@example.test")
        report(app, DELIVERED, seeded.headers[0], "ann@example.test", key="d")
        report(app, COMPLAINT, seeded.headers[0], "ann@example.test", key="c")
        report(app, HARD, seeded.headers[1], "bob@example.test", key="h")
        report(app, HARD, seeded.headers[1], "bob@example.test", key="h")  # a duplicate says nothing
    finally:
        for signal, name in (
            (signals.message_delivered, "delivered"),
            (signals.message_bounced, "bounced"),
            (signals.message_complained, "complained"),
        ):
            signal.disconnect(receivers[name])

    assert [name for name, _ in heard] == ["delivered", "complained", "bounced"]
    bounced = heard[2][1]
    assert bounced["organization_id"] == ORG_A and bounced["message_id"] == seeded.message_ids[1]
    assert (bounced["bounce"], bounced["suppressed"], bounced["provider"]) == ("hard", True, "test")
