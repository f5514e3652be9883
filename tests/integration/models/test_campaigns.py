"""flask_broadcasts.models.campaigns: a new campaign starts as a draft with zero counters."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.models import metadata
from flask_broadcasts.models.campaigns import BroadcastCampaign
from flask_broadcasts.statuses import CampaignStatus
from tests.support import host_fixtures
from tests.support.host_fixtures import db, make_campaign

app, database_uri = host_fixtures.app, host_fixtures.database_uri


def test_a_campaign_starts_as_a_draft_with_zero_counters_and_no_tracking(app):
    campaign = make_campaign()
    db.session.expire_all()
    stored = db.session.scalars(sa.select(BroadcastCampaign)).one()
    assert (stored.id, stored.status_enum, stored.timezone) == (campaign.id, CampaignStatus.DRAFT, "UTC")
    assert (stored.sent_count, stored.failed_count, stored.total_count, stored.runs_count) == (0, 0, 0, 0)
    assert (stored.track_opens, stored.track_clicks) == (False, False)
    assert BroadcastCampaign.__table__ is metadata.tables["broadcast_campaigns"]  # the package's one metadata
