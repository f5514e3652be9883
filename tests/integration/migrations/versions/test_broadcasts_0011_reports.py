"""flask_broadcasts/migrations/versions/broadcasts_0011_reports.py: a database holding rows at
broadcasts_0010 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0011_upgrades_a_database_populated_at_0010(tmp_path: Path) -> None:
    """Campaigns stored before 0011 keep their rows, track nothing, and have no report counts yet."""
    with scratch_database("revisions11", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0010")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0011")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            tracking = connection.execute(sa.text("SELECT track_opens, track_clicks FROM broadcast_campaigns")).all()
            counts = connection.execute(sa.text("SELECT count(*) FROM broadcast_report_counts")).scalar_one()
            events = connection.execute(sa.text("SELECT count(*) FROM broadcast_tracking_events")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert [tuple(bool(v) for v in row) for row in tracking] == [(False, False)]
    assert (counts, events) == (0, 0)


def test_downgrade_to_0010_takes_back_what_0011_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0011", "broadcasts_0010", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
