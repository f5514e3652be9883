"""flask_broadcasts.engine.completion: a run completes once, when it is stored and nothing is pending.

Every batch of every connection ends by asking; the answer while messages are pending must
cost one probe, not the campaign's row, which each connection's counter flush needs too.
"""

from __future__ import annotations

import threading

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.completion import complete_run_if_done
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _stored_run(app, recipients: int = 3) -> int:
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    assert store_inline(campaign_id) == recipients
    return campaign_id


def _settle_all(campaign_id: int) -> None:
    db.session.execute(
        sa.update(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id).values(status="completed")
    )
    db.session.commit()


def test_a_run_with_pending_messages_stays_in_progress_and_completes_once_they_are_settled(app, env) -> None:
    campaign_id = _stored_run(app)

    assert complete_run_if_done(db.session, campaign_id, "once", None) is None
    assert campaign_row(campaign_id).status == "in-progress"

    _settle_all(campaign_id)
    row = complete_run_if_done(db.session, campaign_id, "once", None)
    assert row is not None and row.status == "completed"
    assert (row.sent_count, row.total_count) == (3, 3)  # reconciled from the messages, no flush counted them
    assert complete_run_if_done(db.session, campaign_id, "once", None) is None  # one winner


def test_a_run_still_being_stored_does_not_complete_with_nothing_pending(app, env) -> None:
    campaign_id = _stored_run(app)
    _settle_all(campaign_id)
    db.session.execute(
        sa.text("UPDATE broadcast_runs SET materialized_at = NULL WHERE campaign_id = :c"), {"c": campaign_id}
    )
    db.session.commit()

    assert complete_run_if_done(db.session, campaign_id, "once", None) is None
    assert campaign_row(campaign_id).status == "in-progress"


def test_asking_while_messages_are_pending_never_waits_for_the_campaigns_row(app, env, is_postgres) -> None:
    """A counter flush holds the campaign's row while it commits; 16 connections ending their
    batches used to queue on it (SELECT ... FOR UPDATE) only to learn the run was not done."""
    if not is_postgres:
        pytest.skip("row locks are PostgreSQL's (SQLite has one writer)")
    campaign_id = _stored_run(app)
    engine = db.engine
    locked, release = threading.Event(), threading.Event()

    def hold_the_row() -> None:
        with engine.connect() as other:
            other.execute(sa.text("SELECT id FROM broadcast_campaigns WHERE id = :c FOR UPDATE"), {"c": campaign_id})
            locked.set()
            release.wait(10)
            other.rollback()

    holder = threading.Thread(target=hold_the_row)
    holder.start()
    try:
        assert locked.wait(5)
        db.session.execute(sa.text("SET LOCAL lock_timeout = '1s'"))  # waiting for the row raises instead
        assert complete_run_if_done(db.session, campaign_id, "once", None) is None
    finally:
        db.session.rollback()
        release.set()
        holder.join()
