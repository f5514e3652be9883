"""flask_broadcasts/migrations/versions/broadcasts_0002_message_error_code.py: a database holding rows at
broadcasts_0001 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0002_upgrades_a_database_populated_at_0001(tmp_path: Path) -> None:
    with scratch_database("revisions", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0001")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0002")
        with engine.connect() as connection:
            kept = connection.execute(
                sa.text("SELECT id, status, error, error_code, template_locale FROM broadcast_messages ORDER BY id")
            ).all()
        engine.dispose()
    assert [tuple(row) for row in kept] == [(*row, None, None) for row in rows]


def test_downgrade_to_0001_takes_back_what_0002_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0002", "broadcasts_0001", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
