"""Redis (this suite's own ``redis-server``) restarted empty mid-campaign.

Queues, RQ's registries, the scheduler's timers, the sweep's registration and every
lock are gone. Promise: the campaign still completes from the database — the scheduler
re-registers the sweep, the sweep re-queues the run and re-creates the timers — with no
duplicate; a campaign scheduled before the loss still fires, once, not before its time.
"""

from __future__ import annotations

import math
import time
from collections import Counter
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastCampaign
from tests.support.faults.scenario import N, check, start, wait_completed, wait_sent
from tests.support.fixtures import ORG, campaign_row, make_campaign

pytestmark = pytest.mark.faults

#: Seconds Redis stays down: longer than a send job's budget, so jobs fail against it.
DOWN_FOR = 5


def _scheduled_campaign(seconds_ahead: float, recipients: int) -> tuple[int, datetime]:
    """A one-off campaign scheduled ahead, to the inactive customers ``s1..sK@example.test``."""
    from tests.support.hostapp import Customer, db

    db.session.add_all(
        Customer(
            organization_id=ORG,
            first_name=f"S{i}",
            last_name="Lee",
            email=f"s{i}@example.test",
            locale="en",
            status="inactive",
        )
        for i in range(1, recipients + 1)
    )
    db.session.commit()
    at = datetime.fromtimestamp(math.ceil(time.time() + seconds_ahead), UTC)
    campaign_id = make_campaign(filters={"status": "inactive"})
    db.session.execute(
        sa.update(BroadcastCampaign.__table__).where(BroadcastCampaign.id == campaign_id).values(scheduled_at=at)
    )
    db.session.commit()
    assert start_campaign(ORG, campaign_id).status == "scheduled"
    return campaign_id, at


def test_redis_restarted_empty_mid_campaign(app, env, smtp, fleet, redis_server):
    # Send jobs hand over to a queued continuation every second: the loss takes queued work with it.
    campaign_id = start(app, env, filters={"status": "active"}, BROADCASTS_SEND_JOB_BUDGET=1)
    scheduled_id, scheduled_at = _scheduled_campaign(25, 5)
    fleet.scheduler()
    fleet.worker()
    fleet.worker()
    wait_sent(smtp, 300)
    at_loss = smtp.count()
    lost_at = time.monotonic()
    redis_server.restart_empty(down_for=DOWN_FOR)
    took = wait_completed(campaign_id, lost_at, timeout=120)
    assert at_loss < N
    wait_completed(scheduled_id, lost_at, timeout=90)
    received = Counter(smtp.recipients())
    assert {a: received[a] for a in received if a.startswith("s")} == {f"s{i}@example.test": 1 for i in range(1, 6)}
    fired = campaign_row(scheduled_id)
    assert fired.started_at is not None and fired.started_at.replace(tzinfo=UTC) >= scheduled_at
    check(
        "Redis restarted empty",
        smtp,
        campaign_id,
        took,
        max_in_doubt=2,
        note=f"lost at {at_loss}, down {DOWN_FOR}s; 2 workers + scheduler; scheduled campaign fired once",
    )
