"""Workers claiming the same run at the same moment each get a whole batch of their own; a
claim's messages are plain objects of the claimed columns, in id order."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy.orm import Session

from flask_broadcasts.engine.claims import claim
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.models import utcnow
from tests.support.fixtures import ORG, make_campaign, seed_customers

CLAIMERS = 4
BATCH = 50


@pytest.mark.postgres_only
def test_concurrent_claims_get_disjoint_full_batches(app, env, smtp, is_postgres):
    """No message is claimed twice, and a claim made while others are in flight still
    gets a full batch: it skips the rows they lock instead of waiting for them (a claim
    that waited and then re-checked ``claimed_by`` would come back nearly empty)."""
    if not is_postgres:
        pytest.skip("concurrent claims need PostgreSQL")
    from tests.support.hostapp import db

    seed_customers(CLAIMERS * BATCH * 2)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    db.session.rollback()

    for round_number in range(2):
        barrier = threading.Barrier(CLAIMERS)
        claimed: dict[int, list[int]] = {}

        def take(
            number: int,
            barrier: threading.Barrier = barrier,
            round_number: int = round_number,
            claimed: dict[int, list[int]] = claimed,
        ) -> None:
            with app.app_context(), Session(db.engine) as session:
                barrier.wait()
                rows = claim(session, campaign_id, "once", f"claimer-{number}:{round_number}", BATCH, 60, utcnow())
                claimed[number] = [row.id for row in rows]

        threads = [threading.Thread(target=take, args=(n,)) for n in range(CLAIMERS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(len(ids) for ids in claimed.values()) == [BATCH] * CLAIMERS
        every_id = [i for ids in claimed.values() for i in ids]
        assert len(set(every_id)) == len(every_id) == CLAIMERS * BATCH


def test_a_claims_messages_are_plain_objects_of_the_claimed_columns_in_id_order(app, env):
    from types import SimpleNamespace

    import sqlalchemy as sa

    from flask_broadcasts.engine.claims import _CLAIM_COLUMNS
    from flask_broadcasts.engine.tables import messages
    from tests.support.fixtures import store_inline
    from tests.support.host import db

    seed_customers(3)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)

    claimed = claim(db.session, campaign_id, "once", "claimer:1", 2, 60, utcnow())

    stored = db.session.execute(sa.select(*_CLAIM_COLUMNS).order_by(messages.c.id).limit(2)).all()
    assert all(type(message) is SimpleNamespace for message in claimed)
    assert [vars(message) for message in claimed] == [dict(row._mapping) for row in stored]
