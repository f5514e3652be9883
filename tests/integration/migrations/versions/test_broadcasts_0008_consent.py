"""flask_broadcasts/migrations/versions/broadcasts_0008_consent.py: a database holding rows at
broadcasts_0007 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0008_upgrades_a_database_populated_at_0007(tmp_path: Path) -> None:
    """Messages and suppressions stored before 0008 are kept; the consent records start
    empty and take one row per change, several for one address."""
    with scratch_database("revisions8", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0007")
        with engine.begin() as connection:
            rows = seed(connection)
            connection.execute(
                sa.text(
                    "INSERT INTO broadcast_suppressions (organization_id, channel, address, reason, source_kind,"
                    " created_at) VALUES ('1', 'mail', 'a@example.test', 'manual', 'user', CURRENT_TIMESTAMP)"
                )
            )
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0008")
        with engine.begin() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            suppressions = connection.execute(sa.text("SELECT address FROM broadcast_suppressions")).scalars().all()
            before = connection.execute(sa.text("SELECT count(*) FROM broadcast_consent_events")).scalar_one()
            for action in ("withdrawn", "given"):
                connection.execute(
                    sa.text(
                        "INSERT INTO broadcast_consent_events (organization_id, channel, address, action, method,"
                        " created_at) VALUES ('1', 'mail', 'a@example.test', :action, 'api', CURRENT_TIMESTAMP)"
                    ),
                    {"action": action},
                )
            after = connection.execute(sa.text("SELECT count(*) FROM broadcast_consent_events")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert suppressions == ["a@example.test"]
    assert (before, after) == (0, 2)


def test_downgrade_to_0007_takes_back_what_0008_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0008", "broadcasts_0007", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
