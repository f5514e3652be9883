"""flask_broadcasts.engine.suppression: sending obeys the organization's suppression list.

What a recipient relies on: an address on the list (however it is spelt) gets nothing, when
the run stores its messages and again at each claim, so an unsubscribe committed during a
run reaches every batch claimed after it; a message left with no channel fails as
``suppressed`` and is counted, one that keeps a channel goes on with that one only; and an
SMS refused because its recipient texted STOP puts the number on the list.
"""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.suppression import apply_to_values, drop_suppressed, suppress_opted_out
from flask_broadcasts.engine.tables import messages
from flask_broadcasts.models import BroadcastMessage, BroadcastSuppression
from flask_broadcasts.services.suppressions import suppress
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db

BY_HAND = {"kind": "user", "id": None}


def _row(email: str | None, mobile: str | None = None, channels: tuple[str, ...] = ("mail",)) -> dict:
    return {"channels": list(channels), "email": email, "mobile": mobile, "status": "pending"}


def test_stored_messages_leave_out_a_suppressed_address_however_it_is_spelt(app, env) -> None:
    suppress(ORG, "mail", "ann@example.test", "unsubscribed", BY_HAND)
    suppress("org-2", "mail", "bob@example.test", "unsubscribed", BY_HAND)  # another organization's list
    rows = [
        _row("  Ann@Example.TEST "),
        _row("ann@example.test", "+33612345678", ("mail", "sms")),
        _row("bob@example.test"),
    ]

    assert apply_to_values(db.session, ORG, rows) == 2

    only_mail, mail_and_sms, other = rows
    assert (only_mail["channels"], only_mail["mail_status"]) == ([], "suppressed")
    assert (only_mail["status"], only_mail["error_code"]) == ("failed", "suppressed")
    assert (mail_and_sms["channels"], mail_and_sms["status"], mail_and_sms["sms_status"]) == (["sms"], "pending", None)
    assert (other["channels"], other["status"], other["mail_status"]) == (["mail"], "pending", None)


def _stored_run(app, recipients: int) -> int:
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return campaign_id


def _batch(campaign_id: int) -> list:
    return db.session.execute(sa.select(messages).where(messages.c.campaign_id == campaign_id).order_by("id")).all()


def test_an_unsubscribe_during_the_run_reaches_the_next_claim(app, env) -> None:
    campaign_id = _stored_run(app, 3)
    suppress(ORG, "mail", "c2@example.test", "unsubscribed", BY_HAND)  # after the messages were stored

    kept = drop_suppressed(db.session, campaign_id, "once", _batch(campaign_id))

    assert [m.email for m in kept] == ["c1@example.test", "c3@example.test"]
    db.session.expire_all()
    dropped = db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.email == "c2@example.test"))
    assert (dropped.status, dropped.error_code, dropped.mail_status) == ("failed", "suppressed", "suppressed")
    row = campaign_row(campaign_id)
    assert (row.failed_count, row.suppressed_count, row.sent_count) == (1, 1, 0)


def test_a_message_already_sent_on_another_channel_completes_when_the_rest_is_suppressed(app, env) -> None:
    campaign_id = _stored_run(app, 1)
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .values(channels=["mail", "sms"], mobile="+33612345678", mail_status="sent")
    )
    db.session.commit()
    suppress(ORG, "sms", "+33612345678", "sms_stop", BY_HAND)

    assert drop_suppressed(db.session, campaign_id, "once", _batch(campaign_id)) == []

    db.session.expire_all()
    message = db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
    assert (message.status, message.error_code, message.sms_status) == ("completed", None, "suppressed")
    assert (campaign_row(campaign_id).sent_count, campaign_row(campaign_id).failed_count) == (1, 0)


def test_an_sms_refused_after_stop_puts_the_number_on_the_list(app, env) -> None:
    campaign_id = _stored_run(app, 1)
    message = db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
    message.mobile = "+33 6 12 34 56 78"
    db.session.commit()

    assert suppress_opted_out(db.session, campaign_id, "once", message, "sms", "twilio 21610: opted out")
    assert not suppress_opted_out(db.session, campaign_id, "once", message, "mail", "550 no")

    (entry,) = db.session.scalars(sa.select(BroadcastSuppression)).all()
    assert (entry.organization_id, entry.channel, entry.address, entry.reason) == (
        ORG,
        "sms",
        "+33612345678",
        "sms_stop",
    )
    assert (entry.source_kind, entry.source_id) == ("provider", f"twilio:{message.id}")
    assert campaign_row(campaign_id).suppressed_count == 1


def test_a_claim_keeps_its_untouched_rows_as_they_came_and_narrows_the_others(app, env) -> None:
    campaign_id = _stored_run(app, 3)
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.email == "c3@example.test")
        .values(channels=["mail", "sms"], mobile="+33612345678")
    )
    db.session.commit()
    batch = _batch(campaign_id)
    assert drop_suppressed(db.session, campaign_id, "once", batch) is batch  # nothing listed: the batch itself
    suppress(ORG, "sms", "+33612345678", "sms_stop", BY_HAND)
    suppress(ORG, "mail", " C2@example.test", "unsubscribed", BY_HAND)

    kept = drop_suppressed(db.session, campaign_id, "once", batch)

    assert kept[0] is batch[0]  # untouched: not copied
    narrowed = kept[1]
    assert (narrowed.email, narrowed.channels, narrowed.sms_status) == ("c3@example.test", ["mail"], "suppressed")
    assert {name: getattr(narrowed, name) for name in batch[2]._fields if name not in ("channels", "sms_status")} == {
        name: getattr(batch[2], name) for name in batch[2]._fields if name not in ("channels", "sms_status")
    }
    db.session.expire_all()
    stored = db.session.scalar(sa.select(BroadcastMessage).where(BroadcastMessage.email == "c3@example.test"))
    assert (stored.status, stored.channels, stored.sms_status) == ("pending", ["mail"], "suppressed")
    assert campaign_row(campaign_id).suppressed_count == 2
