"""flask_broadcasts/migrations/versions/broadcasts_0004_suppressions.py: a database holding rows at
broadcasts_0003 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0004_upgrades_a_database_populated_at_0003(tmp_path: Path) -> None:
    """Campaigns stored before 0004 have suppressed nothing; the list is one row per
    (organization, channel, address)."""
    with scratch_database("revisions4", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0003")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0004")
        with engine.begin() as connection:
            counters = connection.execute(sa.text("SELECT suppressed_count FROM broadcast_campaigns")).all()
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            connection.execute(
                sa.text(
                    "INSERT INTO broadcast_suppressions (organization_id, channel, address, reason, source_kind,"
                    " created_at) VALUES ('1', 'mail', 'a@example.test', 'manual', 'user', CURRENT_TIMESTAMP)"
                )
            )
            duplicate = sa.text(
                "INSERT INTO broadcast_suppressions (organization_id, channel, address, reason, source_kind,"
                " created_at) VALUES ('1', 'mail', 'a@example.test', 'bounced', 'provider', CURRENT_TIMESTAMP)"
            )
        with engine.connect() as connection:
            try:
                connection.execute(duplicate)
            except sa.exc.IntegrityError:
                unique = True
            else:
                unique = False
        engine.dispose()
    assert [tuple(row) for row in counters] == [(0,)]
    assert [tuple(row) for row in kept] == rows
    assert unique, "one suppression per (organization, channel, address)"


def test_downgrade_to_0003_takes_back_what_0004_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0004", "broadcasts_0003", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
