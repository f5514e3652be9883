"""Is the database at the head of its migrations? (``flask broadcasts doctor``.)

With Flask-Migrate on the app, the scripts are the host's whole history (its
``migrations/`` folder plus the extension's revisions, see :func:`.install`), and the
database is at head when its revisions are the script's heads — exactly what
``flask db current`` compared with ``flask db heads`` would say. Without Flask-Migrate only
the extension's own branch is known: its head must be in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask

from . import BRANCH_LABEL, VERSIONS_DIR

if TYPE_CHECKING:
    from sqlalchemy import Connection

__all__ = ["RevisionStatus", "revision_status"]


@dataclass(frozen=True)
class RevisionStatus:
    """The database's revisions next to the scripts' heads."""

    #: The revisions in the database's ``alembic_version`` table (empty: never migrated).
    current: tuple[str, ...]
    #: The heads of the scripts (one, once the host merged the extension's branch).
    heads: tuple[str, ...]
    #: Database revisions no script knows (a newer release's, or another app's).
    unknown: tuple[str, ...]
    #: Which scripts were compared: ``"Flask-Migrate"`` or ``"the extension's revisions"``.
    source: str

    @property
    def at_head(self) -> bool:
        """Nothing to upgrade, nothing unknown."""
        return bool(self.current) and not self.unknown and set(self.heads) <= set(self.current)


def _scripts(app: Flask) -> tuple[ScriptDirectory, str, bool]:
    """The scripts to compare with, what they are, and whether they are the whole history."""
    migrate = app.extensions.get("migrate")
    if migrate is not None:
        # Flask-Migrate's own configuration, with the configure callbacks that add our versions.
        config = migrate.migrate.get_config(migrate.directory)
        return ScriptDirectory.from_config(config), "Flask-Migrate", True
    config = Config()
    config.set_main_option("script_location", str(VERSIONS_DIR.parent))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(VERSIONS_DIR))
    return ScriptDirectory.from_config(config), "the extension's revisions", False


def revision_status(app: Flask, connection: Connection) -> RevisionStatus:
    """Compare the database on ``connection`` with the migration scripts of ``app`` (inside its context)."""
    script, source, whole_history = _scripts(app)
    current = tuple(sorted(MigrationContext.configure(connection).get_current_heads()))
    known = {revision.revision for revision in script.walk_revisions()}
    unknown = tuple(revision for revision in current if revision not in known)
    # Without the host's scripts, only our branch's head can be asked for.
    heads = script.get_heads() if whole_history else [script.get_revision(f"{BRANCH_LABEL}@head").revision]
    return RevisionStatus(current=current, heads=tuple(sorted(heads)), unknown=unknown, source=source)
