"""Tests of flask_broadcasts.engine.bounces.

Each e-mail's envelope sender is its own VERP address, as the SMTP server sees it (``MAIL FROM``),
on every connection of a send job, and a 5xx at send time that says the address is bad is a hard
bounce: failed ``bounced``, counted, suppressed, and the next campaign skips the address."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.lanes import send_run
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.models import BroadcastFeedbackEvent, BroadcastSentEmail, BroadcastSuppression
from flask_broadcasts.signing import verp_address, verp_message_id
from tests.support.bounce_runs import BOUNCES, messages_of, run_campaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config


def test_every_message_goes_out_with_its_own_verp_sender_on_every_connection(app, env, smtp, is_postgres):
    from tests.support.hostapp import db

    # Four connections at once on PostgreSQL (SQLite has one writer: one), envelopes pipelined.
    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES, BROADCASTS_MAIL_CONNECTIONS=4, BROADCASTS_BATCH_SIZE=8)
    seed_customers(24)
    campaign_id = run_campaign()

    by_email = messages_of(campaign_id)
    assert len(smtp.received) == 24
    if is_postgres:
        assert smtp.connections >= 2  # the messages really went over several connections
    senders = set()
    for received in smtp.received:
        (rcpt,) = received.rcpt_tos
        message = by_email[rcpt]
        assert received.mail_from == verp_address(BOUNCES, message.id)
        assert verp_message_id(received.mail_from, BOUNCES) == message.id
        local = received.mail_from.rpartition("@")[0]
        assert local.startswith("bounces+") and len(local.encode()) <= 64
        assert received.message["From"] == "Acme News <news@acme.test>"  # the From header is unchanged
        senders.add(received.mail_from)
    assert len(senders) == 24
    stored = dict(db.session.execute(sa.select(BroadcastSentEmail.recipient, BroadcastSentEmail.sender)).all())
    assert stored == {r.rcpt_tos[0]: r.mail_from for r in smtp.received}


def test_without_a_bounce_address_the_envelope_sender_is_the_from_address(app, env, smtp):
    seed_customers(2)
    run_campaign()
    assert {r.mail_from for r in smtp.received} == {"news@acme.test"}


def test_no_such_user_at_send_time_is_a_hard_bounce_and_the_next_campaign_skips_it(app, env, smtp):
    from tests.support.hostapp import Customer, db

    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    seed_customers(4)
    db.session.execute(sa.update(Customer).where(Customer.id == 2).values(email="nosuchuser2@example.test"))
    db.session.execute(sa.update(Customer).where(Customer.id == 3).values(email="refuse3@example.test"))
    db.session.commit()
    first = run_campaign()

    by_email = messages_of(first)
    bounced, refused = by_email["nosuchuser2@example.test"], by_email["refuse3@example.test"]
    assert (bounced.status, bounced.mail_status, bounced.error_code) == ("failed", "bounced", "bounced")
    assert "550 5.1.1 no such user here" in bounced.error
    # A policy refusal (5.7.1) is about the message, not the address: refused, not suppressed.
    assert (refused.status, refused.mail_status, refused.error_code) == ("failed", "refused", "refused")
    row = campaign_row(first)
    assert (row.total_count, row.sent_count, row.failed_count, row.bounced_count) == (4, 2, 2, 1)
    suppressed = db.session.execute(sa.select(BroadcastSuppression.address, BroadcastSuppression.reason)).all()
    assert suppressed == [("nosuchuser2@example.test", "bounced")]
    events = db.session.execute(sa.select(BroadcastFeedbackEvent.provider, BroadcastFeedbackEvent.kind)).all()
    assert events == [("smtp", "hard_bounce")]

    second = run_campaign()
    assert smtp.rcpt_tries["nosuchuser2@example.test"] == 1  # never tried again
    skipped = messages_of(second)["nosuchuser2@example.test"]
    assert (skipped.status, skipped.error_code) == ("failed", "suppressed")
    assert smtp.rcpt_tries["refuse3@example.test"] == 2


def test_a_worker_killed_between_the_refusal_and_its_bounce_loses_no_bounce(app, env, smtp, monkeypatch):
    from flask_broadcasts.engine import sending
    from tests.support.hostapp import Customer, db

    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    seed_customers(3)
    db.session.execute(sa.update(Customer).where(Customer.id == 2).values(email="nosuchuser2@example.test"))
    db.session.commit()
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")

    def killed(message_id: int, answer: str) -> None:  # the worker dies right after the record
        raise RuntimeError("worker killed")

    monkeypatch.setattr(sending, "bounced_at_send", killed)
    try:
        send_run(campaign_id, "once", "test-worker", go_on=lambda: True)
    except RuntimeError as exc:
        assert str(exc) == "worker killed"
    left = messages_of(campaign_id)["nosuchuser2@example.test"]
    assert (left.status, left.mail_status, left.error_code) == ("failed", "refused", "bounced")
    assert db.session.execute(sa.select(BroadcastSuppression.address)).all() == []

    monkeypatch.undo()  # another worker takes the run over and completes it
    send_run(campaign_id, "once", "test-worker-2", go_on=lambda: True)
    row = campaign_row(campaign_id)
    assert (row.status, row.total_count, row.sent_count, row.failed_count, row.bounced_count) == (
        "completed",
        3,
        2,
        1,
        1,
    )
    after = messages_of(campaign_id)["nosuchuser2@example.test"]
    assert (after.mail_status, after.error_code) == ("bounced", "bounced") and "550 5.1.1" in after.error
    assert db.session.execute(sa.select(BroadcastSuppression.address)).all() == [("nosuchuser2@example.test",)]
    assert smtp.rcpt_tries["nosuchuser2@example.test"] == 1
