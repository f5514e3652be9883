"""A campaign run whole in this process, for the bounce suites: the VERP address its mail is
sent from, and its messages by address afterwards."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.lanes import send_run
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.models import BroadcastMessage

from .fixtures import ORG, make_campaign

#: The bounce address (BROADCASTS_BOUNCE_ADDRESS) the suites configure.
BOUNCES = "bounces@acme.test"


def run_campaign() -> int:
    """Start a campaign of the seeded customers, store it and send it; its id."""
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    send_run(campaign_id, "once", "test-worker", go_on=lambda: True)
    return campaign_id


def messages_of(campaign_id: int) -> dict[str, BroadcastMessage]:
    """The campaign's messages by e-mail address, read afresh."""
    from .hostapp import db

    db.session.rollback()
    rows = db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
    return {m.email: m for m in rows.scalars()}
