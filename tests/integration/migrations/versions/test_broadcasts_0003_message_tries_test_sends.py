"""flask_broadcasts/migrations/versions/broadcasts_0003_message_tries_test_sends.py: a database holding rows at
broadcasts_0002 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import filler, round_trip, seed, upgrade_to


def test_0003_upgrades_a_database_populated_at_0002(tmp_path: Path) -> None:
    """Messages stored before 0003 have had no try counted and wait for nothing; test sends
    of their campaign can be stored at once."""
    with scratch_database("revisions3", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0002")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0003")
        with engine.begin() as connection:
            kept = connection.execute(
                sa.text("SELECT id, status, error, tries, retry_at FROM broadcast_messages ORDER BY id")
            ).all()
            campaign_id = connection.execute(sa.text("SELECT min(id) FROM broadcast_campaigns")).scalar_one()
            connection.execute(
                sa.text(
                    'INSERT INTO broadcast_test_sends (organization_id, campaign_id, "to", results, created_at) '
                    "VALUES ('1', :c, '[]', '[]', :at)"
                ),
                {"c": campaign_id, "at": filler(sa.Column("at", sa.DateTime()))},
            )
            test_sends = connection.execute(sa.text("SELECT count(*) FROM broadcast_test_sends")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == [(*row, 0, None) for row in rows]
    assert test_sends == 1


def test_downgrade_to_0002_takes_back_what_0003_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0003", "broadcasts_0002", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
