"""A claim late in a big run costs what a claim early in it costs."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa
from sqlalchemy.dialects import postgresql

from flask_broadcasts.engine.claims import claimable
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.sending import send_batch
from tests.support.fixtures import ORG, make_campaign, seed_customers


def _rows_passed_over(node: dict) -> int:
    """Rows a plan read and threw away by a filter, over the whole plan tree."""
    return node.get("Rows Removed by Filter", 0) + sum(_rows_passed_over(child) for child in node.get("Plans", ()))


@pytest.mark.postgres_only
def test_a_claim_late_in_a_run_does_not_read_the_messages_already_sent(app, env, smtp, is_postgres):
    """Materialization leaves statistics in which every message is pending. Claiming
    ``ORDER BY id LIMIT n`` then walked the primary key past every message already sent:
    each claim cost more than the one before, and at 100,000 recipients claims took more
    database time than recording outcomes. The claim now reads the claim index, which
    starts at the run's first pending message."""
    if not is_postgres:
        pytest.skip("the query plan is PostgreSQL's")
    from tests.support.hostapp import db

    seed_customers(400)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    sent = sum(send_batch(campaign_id, "once", "test-worker").sent for _ in range(6))  # batches of 50
    assert sent == 300

    statement = claimable(campaign_id, "once", 50).compile(
        dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}
    )
    db.session.rollback()
    plan = db.session.execute(sa.text(f"EXPLAIN (ANALYZE, FORMAT JSON) {statement}")).scalar()
    ids = db.session.execute(sa.text(str(statement))).scalars().all()
    db.session.rollback()
    plan = plan if isinstance(plan, list) else json.loads(plan)

    pending = (
        db.session.execute(
            sa.text(
                "SELECT id FROM broadcast_messages WHERE campaign_id = :c AND status = 'pending' ORDER BY id LIMIT 50"
            ),
            {"c": campaign_id},
        )
        .scalars()
        .all()
    )
    assert ids == pending and len(ids) == 50  # still the lowest pending ids of the run
    assert _rows_passed_over(plan[0]["Plan"]) < 50  # the old claim passed all 300 sent messages
