"""flask_broadcasts/migrations/versions/broadcasts_0006_feedback.py: a database holding rows at
broadcasts_0005 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0006_upgrades_a_database_populated_at_0005(tmp_path: Path) -> None:
    """Messages and campaigns stored before 0006 are kept, their feedback counters start at 0,
    and a report is recorded once per (provider, event_key)."""
    with scratch_database("revisions6", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0005")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0006")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            counters = connection.execute(
                sa.text("SELECT delivered_count, bounced_count, complained_count FROM broadcast_campaigns")
            ).all()
        record = sa.text(
            "INSERT INTO broadcast_feedback_events (organization_id, message_id, provider, event_key, kind,"
            " created_at) VALUES ('1', :message, 'ses', 'k', 'delivered', CURRENT_TIMESTAMP)"
        )
        with engine.begin() as connection:
            connection.execute(record, {"message": rows[0][0]})
        with engine.connect() as connection:
            try:
                connection.execute(record, {"message": rows[0][0]})
            except sa.exc.IntegrityError:
                unique = True
            else:
                unique = False
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert [tuple(row) for row in counters] == [(0, 0, 0)]
    assert unique, "one row per (provider, event_key)"


def test_downgrade_to_0005_takes_back_what_0006_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0006", "broadcasts_0005", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
