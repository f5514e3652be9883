"""flask_broadcasts/migrations/versions/broadcasts_0009_deliverability_guard.py: a database holding rows at
broadcasts_0008 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0009_upgrades_a_database_populated_at_0008(tmp_path: Path) -> None:
    """Campaigns and messages stored before 0010 are kept; their guard judges each run from its start."""
    with scratch_database("revisions9", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0008")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0009")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            baselines = connection.execute(sa.text("SELECT guard_baseline FROM broadcast_campaigns")).scalars().all()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert baselines == [None]


def test_downgrade_to_0008_takes_back_what_0009_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0009", "broadcasts_0008", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
