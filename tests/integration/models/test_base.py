"""flask_broadcasts.models.base: what every table of the extension shares.

A host relies on: every time coming back aware and in UTC on every database (SQLite keeps no
offset) and a naive one refused rather than guessed, and the tables kept off its own metadata
(its autogenerate never sees them) while its ``db.session`` queries them. The small host
(tests/support/host.py) on the suite's database.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import StatementError

from flask_broadcasts.models import BroadcastCampaign
from flask_broadcasts.models.base import Base
from tests.support import host_fixtures
from tests.support.host import HostBase
from tests.support.host_fixtures import db, make_campaign

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


def test_the_tables_are_on_their_own_metadata_which_the_hosts_session_queries(app):
    tables = Base.metadata.tables
    assert set(tables) and all(name.startswith("broadcast_") for name in tables)
    assert not set(tables) & set(HostBase.metadata.tables)
    campaign = make_campaign()
    assert db.session.scalars(sa.select(BroadcastCampaign.id)).one() == campaign.id
