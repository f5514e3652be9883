"""Campaigns of two organizations on one worker and one rate limit take turns.

A big campaign of ``org-1`` is under way (``BROADCASTS_RATE_LIMITS`` 20/s, one worker
process) when a small one of ``org-2`` starts. After its slice
(``BROADCASTS_FAIR_SHARE_SLICE``) the big one's send job sees the small one's jobs waiting
and hands its worker over, its own run going on from the back of the queue: the small
campaign is done long before the big one, instead of after the big one's whole job budget.
"""

from __future__ import annotations

import bisect

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastTemplate
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config
from tests.support.processes import start_worker, stop_workers, wait_for

RATE = 20
BIG, SMALL = 160, 10
OTHER_ORG = "org-2"


def _small_campaign() -> int:
    from tests.support.hostapp import Customer, db

    db.session.execute(
        sa.insert(Customer),
        [
            {"organization_id": OTHER_ORG, "first_name": f"S{i}", "last_name": "Kim", "email": f"s{i}@small.test"}
            for i in range(SMALL)
        ],
    )
    template = BroadcastTemplate(
        organization_id=OTHER_ORG, name="T", subject="Hi", body="<p>Hi {first_name}</p>", channels=["mail"]
    )
    audience = BroadcastAudience(organization_id=OTHER_ORG, name="A", audience_type="customers", filters={})
    db.session.add_all([template, audience])
    db.session.flush()
    campaign = BroadcastCampaign(organization_id=OTHER_ORG, name="S", template_id=template.id, audience_id=audience.id)
    db.session.add(campaign)
    db.session.commit()
    return campaign.id


def _completed(campaign_id: int):
    row = campaign_row(campaign_id)
    return row if row.status == "completed" else None


def test_a_small_campaign_started_after_a_big_one_finishes_well_before_it(app, env, smtp):
    set_config(
        env,
        app,
        BROADCASTS_RATE_LIMITS={"mail": RATE},
        BROADCASTS_BATCH_SIZE=10,
        BROADCASTS_FAIR_SHARE_SLICE=1.0,
    )
    seed_customers(BIG)
    big, small = make_campaign(), _small_campaign()
    workers = [start_worker(env, burst=False)]
    try:
        start_campaign(ORG, big)
        wait_for(lambda: smtp.count() >= 10, 60, "the big campaign under way")
        start_campaign(OTHER_ORG, small)
        wait_for(lambda: _completed(small), 60, "the small campaign to complete")
        big_sent_then = campaign_row(big).sent_count
        wait_for(lambda: _completed(big), 90, "the big campaign to complete")
    finally:
        output = stop_workers(workers)
    assert campaign_row(small).sent_count == SMALL and campaign_row(big).sent_count == BIG, output
    small_times = sorted(m.at for m in smtp.received if m.rcpt_tos[0].endswith("@small.test"))
    big_times = sorted(m.at for m in smtp.received if not m.rcpt_tos[0].endswith("@small.test"))
    assert len(small_times) == SMALL and len(big_times) == BIG
    print(
        f"small done {small_times[-1] - big_times[0]:.1f} s after the big one's first message, "
        f"big done after {big_times[-1] - big_times[0]:.1f} s; big had sent {big_sent_then} by then"
    )
    # The small campaign did not wait for the big one: done while most of the big one was left ...
    assert big_sent_then <= BIG * 0.6, big_sent_then
    assert small_times[-1] < big_times[-1] - 2
    # ... and the two together never went past the shared limit.
    times = sorted(small_times + big_times)
    busiest = max(bisect.bisect_left(times, t + 1.0) - i for i, t in enumerate(times))
    assert busiest <= RATE * 1.1, busiest
