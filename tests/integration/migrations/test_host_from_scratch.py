"""A host with no migrations yet adopts the extension with the plain ``flask db`` commands
(docs/migrations.rst), each a real subprocess: its first revision, a later change of its own,
then a newer release of the extension — on SQLite and PostgreSQL.

Every host revision must land in the host's own folder (never in the installed package),
and the database end up with the host's tables, the extension's, and no drift."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from flask_broadcasts.migrations import VERSIONS_DIR
from flask_broadcasts.models import metadata as broadcasts_metadata
from tests.support.database import create_engine, scratch_database

ROOT = Path(__file__).resolve().parents[3]

FAKE_RELEASE = '''"""A newer release of flask-broadcasts (simulated): an index on its messages."""
from alembic import op

revision = "broadcasts_9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_broadcast_messages_fake_release", "broadcast_messages", ["created_at"])


def downgrade():
    op.drop_index("ix_broadcast_messages_fake_release", "broadcast_messages")
'''


def flask_db(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "-m", "flask", "db", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    return output


def extension_head() -> str:
    config = Config()
    config.set_main_option("script_location", str(VERSIONS_DIR.parent))
    config.set_main_option("version_locations", str(VERSIONS_DIR))
    (head,) = ScriptDirectory.from_config(config).get_heads()
    return head


def host_revisions(versions: Path) -> dict[str, object]:
    """The host's revision files: revision id → down_revision."""
    found = {}
    for path in versions.glob("*.py"):
        values: dict[str, object] = {}
        exec(compile(path.read_text(), str(path), "exec"), values)  # noqa: S102 - our own generated file
        found[values["revision"]] = values["down_revision"]
    return found


def test_plain_flask_db_commands_from_no_migrations_to_a_newer_extension(tmp_path: Path) -> None:
    shipped_before = sorted(VERSIONS_DIR.glob("*.py"))
    migrations = tmp_path / "migrations"
    versions = migrations / "versions"
    with scratch_database("fromscratch", tmp_path) as url:
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "FLASK_APP": "tests.support.fresh_host:create_app",
            "DATABASE_URL": url,
            "FRESH_HOST_MIGRATIONS": str(migrations),
        }
        engine = create_engine(url)
        try:
            # 1. No migrations yet: init, then migrate straight away (the extension's
            #    revisions are applied first), then upgrade.
            flask_db(env, "init")
            flask_db(env, "migrate", "-m", "studios")
            ((first, parent),) = host_revisions(versions).items()
            assert parent == extension_head()
            flask_db(env, "upgrade")
            tables = set(sa.inspect(engine).get_table_names())
            assert {"studios", *broadcasts_metadata.tables} <= tables

            # 2. A later change of the host's own.
            env["FRESH_HOST_SCHEMA"] = "2"
            flask_db(env, "migrate", "-m", "members")
            revisions = host_revisions(versions)
            (second,) = set(revisions) - {first}
            assert revisions[second] == first
            flask_db(env, "upgrade")
            assert "members" in sa.inspect(engine).get_table_names()

            # 3. A newer extension release ships a revision: migrate merges it in.
            extra = tmp_path / "site-packages" / "versions"
            extra.mkdir(parents=True)
            (extra / "broadcasts_9001_fake_release.py").write_text(FAKE_RELEASE.format(head=extension_head()))
            env["FRESH_HOST_EXTRA_VERSIONS"] = str(extra)
            flask_db(env, "migrate", "-m", "flask-broadcasts 9.0")
            revisions = host_revisions(versions)
            (merge,) = set(revisions) - {first, second}
            assert set(revisions[merge]) == {second, "broadcasts_9001"}
            flask_db(env, "upgrade")
            indexes = {index["name"] for index in sa.inspect(engine).get_indexes("broadcast_messages")}
            assert "ix_broadcast_messages_fake_release" in indexes
            with engine.connect() as connection:
                assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars().all() == [merge]
            # Nothing left to generate, nothing of the extension's re-created or dropped.
            assert "No new upgrade operations detected" in flask_db(env, "check")
        finally:
            engine.dispose()
    assert sorted(VERSIONS_DIR.glob("*.py")) == shipped_before
