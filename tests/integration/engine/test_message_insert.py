"""A chunk of message rows is stored once per recipient, in its order, whatever is already there."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine import materialize
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.message_insert import Copying, insert_rows
from flask_broadcasts.engine.tables import messages
from tests.support.fixtures import ORG, make_campaign, seed_customers


def _materialized_rows(monkeypatch) -> tuple[int, list[dict]]:
    """A run of 5 recipients materialized, and the rows it stored, as materialization made them."""
    seed_customers(5)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    chunks: list[list[dict]] = []

    def keeping(session, rows, copying):
        chunks.append([dict(row) for row in rows])
        return insert_rows(session, rows, copying)

    monkeypatch.setattr(materialize, "insert_rows", keeping)
    assert materialize.materialize_run(campaign_id, "once", "test-worker") == 5
    return campaign_id, [row for chunk in chunks for row in chunk]


def _stored(session, campaign_id: int) -> list[tuple[str, str]]:
    query = (
        sa.select(messages.c.recipient_id, messages.c.status)
        .where(messages.c.campaign_id == campaign_id)
        .order_by(messages.c.id)
    )
    return [(row.recipient_id, row.status) for row in session.execute(query)]


def test_a_chunk_stored_again_stores_only_its_new_recipients_in_their_order(app, monkeypatch, is_postgres):
    from tests.support.hostapp import db

    campaign_id, rows = _materialized_rows(monkeypatch)
    before = _stored(db.session, campaign_id)
    copying = Copying()
    assert insert_rows(db.session, rows, copying) == []  # a taken-over run stores its first chunk again
    db.session.commit()
    assert _stored(db.session, campaign_id) == before
    # PostgreSQL: the COPY hit the stored rows, so the run's next chunks go through the staging table.
    assert copying.direct is not is_postgres

    newcomers = [dict(row, recipient_id=f"new-{row['recipient_id']}", status="failed") for row in rows[:2]]
    assert insert_rows(db.session, [*newcomers[:1], *rows, *newcomers[1:]], copying) == ["failed", "failed"]
    db.session.commit()
    assert _stored(db.session, campaign_id) == [*before, *((row["recipient_id"], "failed") for row in newcomers)]
    assert insert_rows(db.session, [], copying) == []


def test_a_chunk_naming_a_recipient_twice_stores_it_once(app, monkeypatch):
    from tests.support.hostapp import db

    campaign_id, rows = _materialized_rows(monkeypatch)
    db.session.execute(sa.delete(messages).where(messages.c.campaign_id == campaign_id))
    db.session.commit()
    assert insert_rows(db.session, [*rows[:2], rows[0]], Copying()) == [rows[0]["status"], rows[1]["status"]]
    db.session.commit()
    assert [recipient for recipient, _ in _stored(db.session, campaign_id)] == [
        rows[0]["recipient_id"],
        rows[1]["recipient_id"],
    ]
