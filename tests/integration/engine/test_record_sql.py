"""flask_broadcasts.engine.record_sql: the statements of a message's record and of a counter flush.

What a user relies on: a flush adds a worker's outcomes to the counters only while the
campaign still has that run open (running or paused; a completed or stopped run was already
counted from its messages, so late outcomes must not count twice) and answers no row then; a
deferral leaves the claim and keeps a channel's status it was not given; a record answers the
campaign's status while the campaign still has the message's run, and nothing once it does not.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine import record_sql as sql
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, utcnow
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _stored_run(app) -> int:
    seed_customers(2)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    assert store_inline(campaign_id) == 2
    return campaign_id


def _set_campaign(campaign_id: int, **values) -> None:
    db.session.execute(sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(**values))
    db.session.commit()


def _flush(campaign_id: int, sent: int, failed: int, run_key: str = "once"):
    params = {"b_campaign_id": campaign_id, "b_run_key": run_key, "b_sent": sent, "b_failed": failed, "b_now": utcnow()}
    row = db.session.execute(sql.ADD_TO_COUNTERS, params).first()
    db.session.commit()
    return row


def test_a_flush_adds_to_an_open_run_only(app, env):
    campaign_id = _stored_run(app)

    row = _flush(campaign_id, 3, 1)
    assert (row.status, row.sent_count, row.failed_count) == ("in-progress", 3, 1)
    _set_campaign(campaign_id, status="paused")
    assert _flush(campaign_id, 1, 0).sent_count == 4  # outcomes recorded around a pause still count

    assert _flush(campaign_id, 5, 5, run_key="2026-11-08T09:00:00Z") is None  # not the campaign's run
    _set_campaign(campaign_id, status="completed")
    assert _flush(campaign_id, 5, 5) is None
    assert (campaign_row(campaign_id).sent_count, campaign_row(campaign_id).failed_count) == (4, 1)


def test_a_deferral_leaves_the_claim_and_keeps_a_channel_it_was_not_given(app, env):
    campaign_id = _stored_run(app)
    first, second = db.session.scalars(
        sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign_id).order_by(BroadcastMessage.id)
    )
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .values(claimed_by="w", claim_expires_at=utcnow() + timedelta(minutes=5), mail_status="sent")
    )
    db.session.commit()
    retry_at = utcnow() + timedelta(minutes=2)

    for message_id, mail_status in ((first, None), (second, "refused")):
        params = {"b_id": message_id, "b_tries": 2, "b_retry_at": retry_at, "b_error": "451 later"}
        params |= {"b_mail_status": mail_status, "b_sms_status": None, "b_provider_message_id": None}
        assert db.session.execute(sql.DEFER, params).scalar() == message_id
    db.session.commit()

    rows = db.session.execute(
        sa.select(
            BroadcastMessage.status,
            BroadcastMessage.claimed_by,
            BroadcastMessage.tries,
            BroadcastMessage.error,
            BroadcastMessage.mail_status,
        )
        .where(BroadcastMessage.campaign_id == campaign_id)
        .order_by(BroadcastMessage.id)
    ).all()
    assert [tuple(row) for row in rows] == [
        ("pending", None, 2, "451 later", "sent"),
        ("pending", None, 2, "451 later", "refused"),
    ]


def test_a_record_answers_the_campaigns_status_while_it_has_the_run(app, env):
    campaign_id = _stored_run(app)

    def answer(run_key: str = "once"):
        return db.session.execute(sql.CAMPAIGN_OF_RUN, {"b_campaign_id": campaign_id, "b_run_key": run_key}).scalar()

    assert answer() == "in-progress"
    _set_campaign(campaign_id, status="paused")
    assert answer() == "paused"
    assert answer("2026-11-08T09:00:00Z") is None


def test_the_postgresql_record_writes_the_outcome_and_answers_the_status_of_the_run(app, env, is_postgres):
    if not is_postgres:
        pytest.skip("the prepared record is PostgreSQL's (SQLite records through the session)")
    campaign_id = _stored_run(app)
    first, second = db.session.scalars(
        sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign_id).order_by(BroadcastMessage.id)
    )
    db.session.rollback()
    connection = db.engine.connect().execution_options(isolation_level="AUTOCOMMIT")
    pgconn = connection.connection.dbapi_connection.pgconn
    pgconn.prepare(sql.PG_RECORD_NAME, sql.PG_RECORD)

    def record(message_id: int, mail_status: bytes | None, tries: bytes | None) -> bytes | None:
        # $1 status, $2 error, $3 sent_at, $4-$6 the channels, $7 id, $8 error_code, $9 tries.
        values = [b"completed", None, utcnow().isoformat().encode(), mail_status, None, None]
        result = pgconn.exec_prepared(sql.PG_RECORD_NAME, [*values, str(message_id).encode(), None, tries])
        assert result.ntuples == 1
        return result.get_value(0, 0)

    try:
        assert record(first, b"sent", b"1") == b"in-progress"
        assert record(first, None, None) == b"in-progress"  # written again: what it was not given is kept
        _set_campaign(campaign_id, run_key="2026-11-08T09:00:00Z")  # started again meanwhile
        assert record(second, b"sent", b"1") is None  # the sender halts: not its run any more
    finally:
        connection.invalidate()  # never back to the pool with the test's prepared statement
        connection.close()

    rows = db.session.execute(
        sa.select(BroadcastMessage.status, BroadcastMessage.mail_status, BroadcastMessage.tries)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .order_by(BroadcastMessage.id)
    ).all()
    assert [tuple(row) for row in rows] == [("completed", "sent", 1), ("completed", "sent", 1)]
