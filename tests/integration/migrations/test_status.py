"""flask_broadcasts.migrations.status: is the database at the head of its migrations?

What ``flask broadcasts doctor`` tells a host without Flask-Migrate: a database upgraded to the
extension's head is at head; one never migrated, one a revision behind, or one holding a
revision no script knows (a newer release's) is not, and the unknown revision is named.
Scratch databases of the suite's server (SQLite or PostgreSQL), built by the shipped revisions;
the host with Flask-Migrate is tests/integration/cli/test_revision_status.py's.
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from flask_broadcasts.migrations.status import RevisionStatus, revision_status
from tests.support.database import create_engine, scratch_database, upgrade_extension
from tests.support.host import make_app


def _status(url: str, *, target: str | None = None, extra_revision: str | None = None) -> RevisionStatus:
    app = make_app()  # the small host: no Flask-Migrate, so only the extension's branch is known
    assert "migrate" not in app.extensions
    engine = create_engine(url)
    try:
        if target:
            with engine.begin() as connection:
                upgrade_extension(connection, target)
        if extra_revision:
            with engine.begin() as connection:
                connection.execute(
                    sa.text("INSERT INTO alembic_version (version_num) VALUES (:v)"), {"v": extra_revision}
                )
        with engine.connect() as connection:
            return revision_status(app, connection)
    finally:
        engine.dispose()


def test_a_database_at_the_extensions_head_is_at_head(tmp_path: Path):
    with scratch_database("status_head", tmp_path) as url:
        status = _status(url, target="broadcasts@head")
    assert status.at_head and status.unknown == ()
    assert status.current == status.heads and status.heads[0].startswith("broadcasts_")
    assert status.source == "the extension's revisions"


def test_a_database_never_migrated_or_a_revision_behind_is_not_at_head(tmp_path: Path):
    with scratch_database("status_empty", tmp_path) as url:
        empty = _status(url)
    assert (empty.current, empty.unknown, empty.at_head) == ((), (), False)
    with scratch_database("status_behind", tmp_path) as url:
        behind = _status(url, target="broadcasts_0002")
    assert (behind.current, behind.at_head) == (("broadcasts_0002",), False)
    assert behind.heads != behind.current


def test_a_revision_no_script_knows_is_named_and_not_at_head(tmp_path: Path):
    with scratch_database("status_unknown", tmp_path) as url:
        status = _status(url, target="broadcasts@head", extra_revision="broadcasts_9999")
    assert status.unknown == ("broadcasts_9999",)
    assert set(status.heads) < set(status.current)  # the head is there too, yet not "at head"
    assert not status.at_head
