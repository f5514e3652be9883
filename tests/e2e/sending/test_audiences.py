"""Bookings and community audiences, run by a real worker process."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastRun
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.processes import run_workers


def test_bookings_audience(app, env, smtp):
    from tests.support.hostapp import Booking, db

    seed_customers(30)
    db.session.execute(
        sa.insert(Booking),
        [
            {
                "organization_id": ORG,
                "customer_id": i,
                "date": dt.date(2026, 3, 1),
                "status": "accepted" if i % 3 else "cancelled",
            }
            for i in range(1, 31)
        ],
    )
    db.session.commit()
    campaign_id = make_campaign(audience_type="bookings", filters={"status": "accepted"})
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 20, 20), outputs
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, 31) if i % 3)


def test_community_audience(app, env, smtp):
    from tests.support.hostapp import Community, db

    db.session.add(Community(id=7, organization_id=ORG, name="Runners"))
    db.session.commit()
    seed_customers(12, community_id=7)
    seed_customers(5)  # not members
    campaign_id = make_campaign(audience_type="community", community_id="7")
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 12, 12), outputs
    assert len(set(smtp.recipients())) == 12


def test_failing_source_fails_the_campaign(app, env, smtp):
    campaign_id = make_campaign(audience_type="community", community_id=None)
    start_campaign(ORG, campaign_id)
    run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason) == ("failed", "source_failed")  # the vocabulary's word
    from tests.support.hostapp import db  # imported late, as in the tests above (it reads the env)

    run = db.session.query(BroadcastRun).filter_by(campaign_id=campaign_id).one()
    assert run.status_reason.startswith("audience or template failed")  # the run says why
