"""flask_broadcasts.models: the extension's tables.

A host relies on: every time coming back aware and in UTC on every database (SQLite keeps no
offset) and a naive one refused rather than guessed, the tables kept off its own metadata
(its autogenerate never sees them) while its ``db.session`` queries them, a new campaign
starting as a draft with zero counters, and one message per (campaign, run, recipient) at
most: the exactly-once key. The small host (tests/support/host.py) on the suite's database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError, StatementError

from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, metadata
from flask_broadcasts.statuses import CampaignStatus
from tests.support import host_fixtures
from tests.support.host import HostBase
from tests.support.host_fixtures import db, make_campaign, make_customer, make_message

app, database_uri = host_fixtures.app, host_fixtures.database_uri


def test_times_come_back_aware_in_utc_and_naive_ones_are_refused(app):
    paris = timezone(timedelta(hours=2))
    campaign = make_campaign(scheduled_at=datetime(2026, 6, 1, 11, 30, tzinfo=paris))
    db.session.expire_all()
    stored = db.session.get(BroadcastCampaign, campaign.id)
    assert stored.scheduled_at == datetime(2026, 6, 1, 9, 30, tzinfo=UTC)
    assert stored.scheduled_at.utcoffset() == timedelta(0)
    assert stored.created_at.tzinfo is not None
    stored.scheduled_at = datetime(2026, 6, 1, 9, 30)  # naive: which zone? refused, not guessed
    with pytest.raises(StatementError, match="naive datetimes are ambiguous"):
        db.session.commit()
    db.session.rollback()


def test_the_tables_are_on_their_own_metadata_and_a_campaign_starts_as_a_draft(app):
    assert set(metadata.tables) and all(name.startswith("broadcast_") for name in metadata.tables)
    assert not set(metadata.tables) & set(HostBase.metadata.tables)
    campaign = make_campaign()
    db.session.expire_all()
    stored = db.session.scalars(sa.select(BroadcastCampaign)).one()
    assert (stored.id, stored.status_enum, stored.timezone) == (campaign.id, CampaignStatus.DRAFT, "UTC")
    assert (stored.sent_count, stored.failed_count, stored.total_count, stored.runs_count) == (0, 0, 0, 0)
    assert (stored.track_opens, stored.track_clicks) == (False, False)


def test_one_message_per_campaign_run_and_recipient(app):
    campaign, ann = make_campaign(), make_customer()
    make_message(campaign, ann, run_key="once")
    make_message(campaign, ann, run_key="2026-06-01T09:00:00Z")  # another run: another message
    with pytest.raises(IntegrityError):
        make_message(campaign, ann, run_key="once")
    db.session.rollback()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 2
