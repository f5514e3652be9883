"""The extension's schema as Alembic revisions, shipped inside the package.

They form their own Alembic branch (label ``broadcasts``) that joins the host's
migration history through ``version_locations``. :func:`install` wires it into a
host's Flask-Migrate setup:

* the extension's ``versions`` folder is added to Alembic's ``version_locations``,
  so ``flask db upgrade`` finds and applies the extension's revisions;
* the host's autogenerate ignores the extension's tables (``include_object``), so
  ``flask db migrate`` never proposes to create or drop them;
* new revisions go to the host's own ``versions`` folder, never into the installed
  package, and ``flask db migrate`` works on a database that lacks only the extension's
  revisions (``flask_broadcasts.migrations.routing``).

See the docs' migrations page.
"""

from __future__ import annotations

import os
import warnings
from pathlib import Path
from typing import Any

from flask import Flask, appcontext_pushed

from ..errors import BroadcastsSetupWarning
from ..models import metadata
from .routing import apply_shipped_revisions, chain_hooks, process_revision_directives

#: Folder of the extension's Alembic revisions.
VERSIONS_DIR = Path(__file__).resolve().parent / "versions"
#: Branch label of the extension's revisions (``flask db upgrade broadcasts@head``).
BRANCH_LABEL = "broadcasts"


def is_broadcasts_table(name: str | None) -> bool:
    """Whether ``name`` is one of the extension's tables."""
    return name is not None and name in metadata.tables


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook that hides the extension's tables from the host's autogenerate."""
    if type_ == "table":
        return not is_broadcasts_table(name)
    table = getattr(obj, "table", None)
    return not (table is not None and is_broadcasts_table(getattr(table, "name", None)))


def configure_alembic(config: Any) -> Any:
    """A Flask-Migrate ``@migrate.configure`` callback adding the extension's revisions."""
    locations = list(config.get_version_locations_list() or [])
    script_location = config.get_main_option("script_location")
    if not locations and script_location:
        # Alembic's default location stops applying once version_locations is set.
        locations.append(str(Path(script_location) / "versions"))
    if str(VERSIONS_DIR) not in locations:
        locations.append(str(VERSIONS_DIR))
    if config.get_main_option("path_separator") is None:
        config.set_main_option("path_separator", "os")
    separator = {"space": " ", "newline": "\n", "os": os.pathsep, ":": ":", ";": ";"}[
        config.get_main_option("path_separator")
    ]
    config.set_main_option("version_locations", separator.join(locations))
    # `flask db revision` runs env.py too, so that its revision is routed to the host's folder.
    config.set_main_option("revision_environment", "true")
    apply_shipped_revisions(config)
    return config


def install(migrate_config: Any) -> None:
    """Wire the extension into a Flask-Migrate ``app.extensions["migrate"]`` (idempotent)."""
    migrate = migrate_config.migrate
    if configure_alembic not in migrate.configure_callbacks:
        migrate.configure_callbacks.append(configure_alembic)
    args = migrate_config.configure_args
    host_directives = args.get("process_revision_directives")
    if not getattr(host_directives, "_broadcasts", False):
        hook = chain_hooks(process_revision_directives, host_directives)
        hook._broadcasts = True  # type: ignore[attr-defined]
        args["process_revision_directives"] = hook
    host_include = migrate_config.configure_args.get("include_object")
    if host_include is None or getattr(host_include, "_broadcasts", False):
        migrate_config.configure_args["include_object"] = include_object
        return

    def combined(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        return include_object(obj, name, type_, reflected, compare_to) and host_include(
            obj, name, type_, reflected, compare_to
        )

    combined._broadcasts = True  # type: ignore[attr-defined]
    migrate_config.configure_args["include_object"] = combined


def _installed_late(app: Flask, **_: Any) -> None:
    appcontext_pushed.disconnect(_installed_late, sender=app)
    migrate_config = app.extensions.get("migrate")
    if migrate_config is None:
        return  # no Flask-Migrate on this app: the host runs Alembic its own way
    warnings.warn(
        "Flask-Migrate was registered after flask-broadcasts: call migrate.init_app(app, db) before "
        "broadcasts.init_app(app). Its revisions were added now, at the app's first context; "
        "registered in that order, `flask db upgrade` would not know them (KeyError: 'broadcasts_0001').",
        BroadcastsSetupWarning,
        stacklevel=2,
    )
    install(migrate_config)


def watch_for_late_migrate(app: Flask) -> None:
    """Called by ``init_app`` when ``app`` has no Flask-Migrate yet: at the app's first
    context (``flask db ...`` pushes one before it runs, a server at its first request),
    a Flask-Migrate registered since gets a :class:`~flask_broadcasts.BroadcastsSetupWarning`
    naming the fix, and the extension's revisions (:func:`install`)."""
    appcontext_pushed.connect(_installed_late, sender=app)
