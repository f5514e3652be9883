"""flask_broadcasts.engine.reports: a campaign's report, read from its counters.

What an operator reads in it: each channel's figures summed over every run (sent is what was
not failed, failures by error code, most frequent first), the messages no channel could
reach apart, the hourly series in UTC, opens and clicks only where tracking was on or
activity was recorded, the run in progress with its live counters, and nothing of
another organization's campaign.
"""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.report_counts import add_report_counts
from flask_broadcasts.engine.reports import campaign_report
from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.models import BroadcastCampaign
from tests.support.fixtures import ORG, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _running(app) -> int:
    seed_customers(2)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return campaign_id


def _add(campaign_id: int, run_key: str, counts: dict[tuple[str, str, str], int]) -> None:
    add_report_counts(db.session, campaign_id, run_key, Counter(counts))
    db.session.commit()


def test_the_channel_figures_are_summed_over_the_runs(app, env) -> None:
    campaign_id = _running(app)
    _add(
        campaign_id,
        "once",
        {
            ("mail", "status", "sent"): 5,
            ("mail", "status", "refused"): 2,
            ("mail", "failure", "refused"): 2,
            ("", "unreachable", "no_channel"): 1,
            ("", "hour_sent", "2026-04-01T09"): 5,
        },
    )
    _add(
        campaign_id,
        "2026-04-02T09:00:00Z",
        {
            ("mail", "status", "delivered"): 3,
            ("mail", "status", "bounced"): 3,
            ("mail", "failure", "bounced"): 3,
            ("mail", "soft_bounced", ""): 1,
            ("", "hour_sent", "2026-04-01T09"): 2,
            ("", "hour_delivered", "2026-04-01T10"): 3,
        },
    )

    report = campaign_report(ORG, campaign_id)

    mail = report.channels["mail"]
    assert (mail["total"], mail["sent"], mail["delivered"], mail["failed"]) == (13, 8, 3, 5)
    assert mail["failures"] == [{"error_code": "bounced", "count": 3}, {"error_code": "refused", "count": 2}]
    assert mail["bounced"] == {"hard": 3, "soft": 1}
    assert report.channels["sms"]["total"] == 0
    assert report.unreachable == {"total": 1, "failures": [{"error_code": "no_channel", "count": 1}]}
    assert [(h["hour"], h["sent"], h["delivered"]) for h in report.hourly] == [
        ("2026-04-01T09:00:00Z", 7, 0),
        ("2026-04-01T10:00:00Z", 0, 3),
    ]


def test_opens_and_clicks_appear_only_when_tracked_or_recorded(app, env) -> None:
    campaign_id = _running(app)
    untracked = campaign_report(ORG, campaign_id).channels["mail"]
    assert (untracked["opened"], untracked["clicked"], untracked["links"]) == (None, None, None)

    db.session.execute(sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(track_opens=True))
    db.session.commit()
    assert campaign_report(ORG, campaign_id).channels["mail"]["opened"] == {"unique": 0, "total": 0, "machine": 0}

    # Clicks recorded before tracking was turned off are still reported.
    _add(
        campaign_id,
        "once",
        {("mail", "clicked", ""): 4, ("mail", "clicked_unique", ""): 3, ("mail", "clicked_machine", ""): 1},
    )
    clicked = campaign_report(ORG, campaign_id).channels["mail"]["clicked"]
    assert clicked == {"unique": 3, "total": 4, "machine": 1}


def test_the_run_in_progress_shows_the_campaigns_live_counters(app, env) -> None:
    campaign_id = _running(app)
    db.session.execute(
        sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(sent_count=1, failed_count=1)
    )
    db.session.commit()

    (run,) = campaign_report(ORG, campaign_id).runs

    assert (run["run_key"], run["status"], run["completed_at"]) == ("once", "in-progress", None)
    assert (run["total"], run["sent"], run["failed"]) == (2, 1, 1)


def test_another_organizations_campaign_has_no_report(app, env) -> None:
    campaign_id = _running(app)
    with pytest.raises(NotFoundError):
        campaign_report("org-2", campaign_id)
