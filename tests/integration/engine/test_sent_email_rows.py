"""A batch's sent-e-mail rows are written even when the recovery sweep wrote one of them first."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.models import BroadcastMessage, BroadcastSentEmail, utcnow
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers


def test_a_row_the_sweep_wrote_first_is_kept_and_the_rest_are_written(app, env, smtp):
    """The sweep fills in the rows of sent e-mails that have none, and it may do so while
    the worker that sent them has not flushed yet. The worker's flush then meets that row:
    the batch still completes, every other row is written, and the sweep's row stays."""
    from tests.support.hostapp import db

    seed_customers(30)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    first = db.session.scalar(
        sa.select(sa.func.min(BroadcastMessage.id)).where(BroadcastMessage.campaign_id == campaign_id)
    )
    db.session.add(
        BroadcastSentEmail(
            organization_id=ORG,
            message_id=first,
            message_id_header="<sweep@example.test>",
            sender="sweep@example.test",
            recipient="c1@example.test",
            subject=None,
            sent_at=utcnow(),
            response=None,
        )
    )
    db.session.commit()

    result = send_batch(campaign_id, "once", "test-worker")

    assert (result.sent, result.failed, result.completed) == (30, 0, True)
    assert len(smtp.recipients()) == 30
    rows = db.session.execute(sa.select(BroadcastSentEmail)).scalars().all()
    assert len(rows) == 30 and len({row.message_id for row in rows}) == 30
    kept = next(row for row in rows if row.message_id == first)
    assert kept.message_id_header == "<sweep@example.test>"
    assert all(row.response == "250 2.0.0 queued" for row in rows if row.message_id != first)
    assert campaign_row(campaign_id).sent_count == 30
