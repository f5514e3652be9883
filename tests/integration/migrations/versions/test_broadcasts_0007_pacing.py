"""flask_broadcasts/migrations/versions/broadcasts_0007_pacing.py: a database holding rows at
broadcasts_0006 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0007_upgrades_a_database_populated_at_0006(tmp_path: Path) -> None:
    """Campaigns and messages stored before 0007 are kept, with no send-by, window or zone."""
    with scratch_database("revisions7", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0006")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0007")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            zones = connection.execute(sa.text("SELECT time_zone FROM broadcast_messages")).scalars().all()
            pacing = connection.execute(
                sa.text("SELECT expires_at, send_window, deliver_at_local FROM broadcast_campaigns")
            ).all()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert zones == [None, None]
    assert [tuple(row) for row in pacing] == [(None, None, None)]


def test_downgrade_to_0006_takes_back_what_0007_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0007", "broadcasts_0006", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
