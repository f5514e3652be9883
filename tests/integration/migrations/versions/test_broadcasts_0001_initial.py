"""flask_broadcasts/migrations/versions/broadcasts_0001_initial.py: from nothing, the
extension's tables, which take a campaign and its messages; downgrading to ``base`` leaves
none of them."""

from __future__ import annotations

from pathlib import Path

from tests.support.database import create_engine, scratch_database
from tests.support.revisions import downgrade_to, messages_of, schema_of, seed, upgrade_to

TABLES = {
    "broadcast_templates",
    "broadcast_audiences",
    "broadcast_campaigns",
    "broadcast_runs",
    "broadcast_messages",
    "broadcast_sent_emails",
}


def test_0001_creates_the_tables_of_templates_audiences_campaigns_runs_and_messages(tmp_path: Path) -> None:
    with scratch_database("revisions1", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0001")
        with engine.begin() as connection:
            rows = seed(connection)
        with engine.connect() as connection:
            schema, kept = schema_of(connection), messages_of(connection)
        engine.dispose()
    assert set(schema) >= TABLES
    assert kept == rows


def test_downgrade_to_base_drops_every_table_0001_created(tmp_path: Path) -> None:
    with scratch_database("revisions1down", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, "broadcasts_0001")
        with engine.begin() as connection:
            seed(connection)
        with engine.begin() as connection:
            downgrade_to(connection, "base")
        with engine.connect() as connection:
            schema = schema_of(connection)
        engine.dispose()
    assert schema == {}
