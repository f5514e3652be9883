"""flask_broadcasts/migrations/versions/broadcasts_0005_webhooks.py: a database holding rows at
broadcasts_0004 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0005_upgrades_a_database_populated_at_0004(tmp_path: Path) -> None:
    """Messages stored before 0005 are kept; the webhook tables start empty."""
    with scratch_database("revisions5", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0004")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0005")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            webhooks = connection.execute(sa.text("SELECT count(*) FROM broadcast_webhooks")).scalar_one()
            deliveries = connection.execute(sa.text("SELECT count(*) FROM broadcast_webhook_deliveries")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert (webhooks, deliveries) == (0, 0)


def test_downgrade_to_0004_takes_back_what_0005_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0005", "broadcasts_0004", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
