"""flask_broadcasts/migrations/versions/broadcasts_0010_run_contents.py: a database holding rows at
broadcasts_0009 upgrades to it and keeps them; downgrading takes back exactly what it added."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import round_trip, seed, upgrade_to


def test_0010_upgrades_a_database_populated_at_0009(tmp_path: Path) -> None:
    """Messages stored before 0010 keep their texts and have no bindings: they are read as stored."""
    with scratch_database("revisions10", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0009")
        with engine.begin() as connection:
            rows = seed(connection)
            connection.execute(sa.text("UPDATE broadcast_messages SET subject = 'Hello', body = '<p>Hi Ann</p>'"))
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0010")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            texts = connection.execute(sa.text("SELECT DISTINCT subject, body FROM broadcast_messages")).all()
            bindings = connection.execute(sa.text("SELECT bindings FROM broadcast_messages")).scalars().all()
            contents = connection.execute(sa.text("SELECT count(*) FROM broadcast_run_contents")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert [tuple(row) for row in texts] == [("Hello", "<p>Hi Ann</p>")]
    assert bindings == [None, None]
    assert contents == 0


def test_downgrade_to_0009_takes_back_what_0010_added_and_keeps_the_rows(tmp_path: Path) -> None:
    trip = round_trip("broadcasts_0010", "broadcasts_0009", tmp_path)
    assert trip.upgraded != trip.before, "the revision changed nothing"
    assert trip.downgraded == trip.before
    assert trip.kept == trip.seeded
