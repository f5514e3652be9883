"""A materialization whose worker died is taken over and stores each recipient once."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine import materialize
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage, BroadcastRun, utcnow
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers


class WorkerDied(BaseException):
    """Stands for the end of a killed process: nothing after it runs, nothing is cleaned up."""


def test_a_materialization_taken_over_stores_each_recipient_once(app, env, monkeypatch):
    from tests.support.hostapp import db

    seed_customers(450)  # BROADCASTS_INSERT_CHUNK=100: five chunks
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_chunk = materialize._store_chunk
    stored: list[int] = []

    def dying_after_two_chunks(*args, **kwargs):
        if len(stored) == 2:
            raise WorkerDied
        stored.append(store_chunk(*args, **kwargs))
        return stored[-1]

    monkeypatch.setattr(materialize, "_store_chunk", dying_after_two_chunks)
    with pytest.raises(WorkerDied):
        materialize.materialize_run(campaign_id, "once", "dead-worker")
    monkeypatch.setattr(materialize, "_store_chunk", store_chunk)
    db.session.rollback()
    assert (
        db.session.execute(sa.select(sa.func.count()).where(BroadcastMessage.campaign_id == campaign_id)).scalar()
        == 200
    )

    # Its lease runs out; another worker takes the run over from the start.
    assert materialize.materialize_run(campaign_id, "once", "second-worker") == -1  # not before the lease expires
    db.session.execute(
        sa.update(BroadcastRun)
        .where(BroadcastRun.campaign_id == campaign_id)
        .values(claim_expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    assert materialize.materialize_run(campaign_id, "once", "second-worker") == 250  # only the missing ones

    db.session.rollback()
    recipients = Counter(
        db.session.execute(
            sa.select(BroadcastMessage.recipient_id).where(BroadcastMessage.campaign_id == campaign_id)
        ).scalars()
    )
    assert len(recipients) == 450 and set(recipients.values()) == {1}
    assert campaign_row(campaign_id).total_count == 450
