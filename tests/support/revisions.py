"""The extension's Alembic revisions, one at a time, on a scratch database (the tests of
``flask_broadcasts/migrations/versions/``, one file per revision).

Each revision is applied from the one before it to a database holding rows written with
the schema as reflected (no models: the models describe the newest schema only), then
taken back down.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import sqlalchemy as sa
from alembic.runtime.environment import EnvironmentContext

from .database import create_engine, extension_script, scratch_database, upgrade_extension

__all__ = ["RoundTrip", "downgrade_to", "filler", "messages_of", "round_trip", "schema_of", "seed", "upgrade_to"]


def upgrade_to(connection: sa.Connection, target: str) -> None:
    """``alembic upgrade <target>`` of the extension's branch."""
    upgrade_extension(connection, target)


def downgrade_to(connection: sa.Connection, target: str) -> None:
    """``alembic downgrade <target>`` (``"base"``: before the first revision)."""
    config, script = extension_script()

    def downgrade(revision, context):  # noqa: ANN001, ANN202
        return script._downgrade_revs(target, revision)

    with EnvironmentContext(config, script, fn=downgrade) as environment:
        environment.configure(connection=connection)
        with environment.begin_transaction():
            environment.run_migrations()


def schema_of(connection: sa.Connection) -> dict[str, set[str]]:
    """Every table but Alembic's, with its column names and index names."""
    inspector = sa.inspect(connection)
    schema: dict[str, set[str]] = {}
    for table in inspector.get_table_names():
        if table == "alembic_version":
            continue
        columns = {f"column {c['name']}" for c in inspector.get_columns(table)}
        indexes = {f"index {i['name']}" for i in inspector.get_indexes(table)}
        schema[table] = columns | indexes
    return schema


def seed(connection: sa.Connection) -> list[tuple[int, str, str | None]]:
    """A campaign and two messages, written with the schema as reflected; their (id, status, error)."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    tables = metadata.tables

    def insert(table_name: str, **values: object) -> int:
        table = tables[table_name]
        filled = {}
        for column in table.columns:
            if column.name in values or column.primary_key or column.nullable:
                continue
            filled[column.name] = filler(column)
        result = connection.execute(table.insert().values(**filled, **values).returning(table.c.id))
        return int(result.scalar_one())

    template = insert("broadcast_templates", organization_id="1", name="t", channels=["mail"])
    audience = insert("broadcast_audiences", organization_id="1", name="a", audience_type="customers", filters={})
    campaign = insert("broadcast_campaigns", organization_id="1", name="c", template_id=template, audience_id=audience)
    rows = []
    for recipient, status, error in (("1", "completed", None), ("2", "failed", "no_channel")):
        message = insert(
            "broadcast_messages",
            organization_id="1",
            campaign_id=campaign,
            run_key="once",
            recipient_type="customers",
            recipient_id=recipient,
            status=status,
            error=error,
            channels=["mail"],
        )
        rows.append((message, status, error))
    return rows


def messages_of(connection: sa.Connection) -> list[tuple[int, str, str | None]]:
    """(id, status, error) of every message, in id order: what :func:`seed` returned, if kept."""
    rows = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
    return [tuple(row) for row in rows]  # type: ignore[misc]


def filler(column: sa.Column) -> object:
    """A value of the column's type for the NOT NULL columns a test does not care about."""
    kind = column.type
    if isinstance(kind, sa.DateTime):
        return datetime(2026, 11, 30, tzinfo=UTC)
    if isinstance(kind, sa.Boolean):
        return False
    if isinstance(kind, sa.Integer):
        return 0
    if isinstance(kind, sa.JSON):
        return {}
    return ""


@dataclass(frozen=True)
class RoundTrip:
    """What a database looked like around one revision's upgrade and downgrade."""

    before: dict[str, set[str]]  # at the revision before, with rows
    upgraded: dict[str, set[str]]
    downgraded: dict[str, set[str]]
    seeded: list[tuple[int, str, str | None]]
    kept: list[tuple[int, str, str | None]]  # the messages after the downgrade


def round_trip(revision: str, previous: str, directory: Path) -> RoundTrip:
    """Upgrade a scratch database holding rows from ``previous`` to ``revision``, then back."""
    with scratch_database(f"down{revision[-4:]}", directory) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_to(connection, previous)
        with engine.begin() as connection:
            seeded = seed(connection)
        with engine.connect() as connection:
            before = schema_of(connection)
        with engine.begin() as connection:
            upgrade_to(connection, revision)
        with engine.connect() as connection:
            upgraded = schema_of(connection)
        with engine.begin() as connection:
            downgrade_to(connection, previous)
        with engine.connect() as connection:
            downgraded, kept = schema_of(connection), messages_of(connection)
        engine.dispose()
    return RoundTrip(before, upgraded, downgraded, seeded, kept)
