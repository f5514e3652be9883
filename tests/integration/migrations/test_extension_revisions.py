"""The extension's Alembic branch: one head, and every revision upgrades a database that
holds data at the revision before it, on SQLite and PostgreSQL (CONVENTIONS: migrations)."""

from __future__ import annotations

from datetime import UTC
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from flask_broadcasts.migrations import BRANCH_LABEL, VERSIONS_DIR
from tests.support.database import create_engine, scratch_database


def _script() -> tuple[Config, ScriptDirectory]:
    config = Config()
    config.set_main_option("script_location", str(VERSIONS_DIR.parent))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(VERSIONS_DIR))
    return config, ScriptDirectory.from_config(config)


def _upgrade(connection: sa.Connection, target: str) -> None:
    config, script = _script()

    def upgrade(revision, context):  # noqa: ANN001, ANN202
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(config, script, fn=upgrade) as environment:
        environment.configure(connection=connection)
        with environment.begin_transaction():
            environment.run_migrations()


def test_the_branch_has_one_head() -> None:
    _, script = _script()
    heads = script.get_revisions(f"{BRANCH_LABEL}@head")
    assert [head.revision for head in heads] == ["broadcasts_0011"]
    assert script.get_revision("broadcasts_0011").down_revision == "broadcasts_0010"
    assert script.get_revision("broadcasts_0010").down_revision == "broadcasts_0009"
    assert script.get_revision("broadcasts_0009").down_revision == "broadcasts_0008"
    assert script.get_revision("broadcasts_0008").down_revision == "broadcasts_0007"
    assert script.get_revision("broadcasts_0007").down_revision == "broadcasts_0006"
    assert script.get_revision("broadcasts_0006").down_revision == "broadcasts_0005"
    assert script.get_revision("broadcasts_0005").down_revision == "broadcasts_0004"
    assert script.get_revision("broadcasts_0004").down_revision == "broadcasts_0003"
    assert script.get_revision("broadcasts_0003").down_revision == "broadcasts_0002"
    assert script.get_revision("broadcasts_0002").down_revision == "broadcasts_0001"


def test_0002_upgrades_a_database_populated_at_0001(tmp_path: Path) -> None:
    with scratch_database("revisions", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0001")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0002")
        with engine.connect() as connection:
            kept = connection.execute(
                sa.text("SELECT id, status, error, error_code, template_locale FROM broadcast_messages ORDER BY id")
            ).all()
        engine.dispose()
    assert [tuple(row) for row in kept] == [(*row, None, None) for row in rows]


def test_0003_upgrades_a_database_populated_at_0002(tmp_path: Path) -> None:
    """Messages stored before 0003 have had no try counted and wait for nothing; test sends
    of their campaign can be stored at once."""
    with scratch_database("revisions3", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0002")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0003")
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
                {"c": campaign_id, "at": _filler(sa.Column("at", sa.DateTime()))},
            )
            test_sends = connection.execute(sa.text("SELECT count(*) FROM broadcast_test_sends")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == [(*row, 0, None) for row in rows]
    assert test_sends == 1


def test_0004_upgrades_a_database_populated_at_0003(tmp_path: Path) -> None:
    """Campaigns stored before 0004 have suppressed nothing; the list is one row per
    (organization, channel, address)."""
    with scratch_database("revisions4", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0003")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0004")
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


def test_0005_upgrades_a_database_populated_at_0004(tmp_path: Path) -> None:
    """Messages stored before 0005 are kept; the webhook tables start empty."""
    with scratch_database("revisions5", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0004")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0005")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            webhooks = connection.execute(sa.text("SELECT count(*) FROM broadcast_webhooks")).scalar_one()
            deliveries = connection.execute(sa.text("SELECT count(*) FROM broadcast_webhook_deliveries")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert (webhooks, deliveries) == (0, 0)


def test_0006_upgrades_a_database_populated_at_0005(tmp_path: Path) -> None:
    """Messages and campaigns stored before 0006 are kept, their feedback counters start at 0,
    and a report is recorded once per (provider, event_key)."""
    with scratch_database("revisions6", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0005")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0006")
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


def test_0007_upgrades_a_database_populated_at_0006(tmp_path: Path) -> None:
    """Campaigns and messages stored before 0007 are kept, with no send-by, window or zone."""
    with scratch_database("revisions7", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0006")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0007")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            zones = connection.execute(sa.text("SELECT time_zone FROM broadcast_messages")).scalars().all()
            pacing = connection.execute(
                sa.text("SELECT expires_at, send_window, deliver_at_local FROM broadcast_campaigns")
            ).all()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert zones == [None, None]
    assert [tuple(row) for row in pacing] == [(None, None, None)]


def test_0008_upgrades_a_database_populated_at_0007(tmp_path: Path) -> None:
    """Messages and suppressions stored before 0008 are kept; the consent records start
    empty and take one row per change, several for one address."""
    with scratch_database("revisions8", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0007")
        with engine.begin() as connection:
            rows = _seed(connection)
            connection.execute(
                sa.text(
                    "INSERT INTO broadcast_suppressions (organization_id, channel, address, reason, source_kind,"
                    " created_at) VALUES ('1', 'mail', 'a@example.test', 'manual', 'user', CURRENT_TIMESTAMP)"
                )
            )
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0008")
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


def test_0009_upgrades_a_database_populated_at_0008(tmp_path: Path) -> None:
    """Campaigns and messages stored before 0010 are kept; their guard judges each run from its start."""
    with scratch_database("revisions9", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0008")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0009")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            baselines = connection.execute(sa.text("SELECT guard_baseline FROM broadcast_campaigns")).scalars().all()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert baselines == [None]


def _seed(connection: sa.Connection) -> list[tuple[int, str, str | None]]:
    """A campaign and two messages, written with the schema as reflected (no models)."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    tables = metadata.tables

    def insert(table_name: str, **values: object) -> int:
        table = tables[table_name]
        filled = {}
        for column in table.columns:
            if column.name in values or column.primary_key or column.nullable:
                continue
            filled[column.name] = _filler(column)
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


def _filler(column: sa.Column) -> object:
    """A value of the column's type for the NOT NULL columns the test does not care about."""
    from datetime import datetime

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


def test_0010_upgrades_a_database_populated_at_0009(tmp_path: Path) -> None:
    """Messages stored before 0010 keep their texts and have no bindings: they are read as stored."""
    with scratch_database("revisions10", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0009")
        with engine.begin() as connection:
            rows = _seed(connection)
            connection.execute(sa.text("UPDATE broadcast_messages SET subject = 'Hello', body = '<p>Hi Ann</p>'"))
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0010")
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


def test_0011_upgrades_a_database_populated_at_0010(tmp_path: Path) -> None:
    """Campaigns stored before 0011 keep their rows, track nothing, and have no report counts yet."""
    with scratch_database("revisions11", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0010")
        with engine.begin() as connection:
            rows = _seed(connection)
        with engine.begin() as connection:
            _upgrade(connection, "broadcasts_0011")
        with engine.connect() as connection:
            kept = connection.execute(sa.text("SELECT id, status, error FROM broadcast_messages ORDER BY id")).all()
            tracking = connection.execute(sa.text("SELECT track_opens, track_clicks FROM broadcast_campaigns")).all()
            counts = connection.execute(sa.text("SELECT count(*) FROM broadcast_report_counts")).scalar_one()
            events = connection.execute(sa.text("SELECT count(*) FROM broadcast_tracking_events")).scalar_one()
        engine.dispose()
    assert [tuple(row) for row in kept] == rows
    assert [tuple(bool(v) for v in row) for row in tracking] == [(False, False)]
    assert (counts, events) == (0, 0)
