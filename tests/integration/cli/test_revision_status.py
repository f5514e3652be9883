"""The doctor's migration check on a host with Flask-Migrate (the example app): its whole history
is compared, its merge revision is the head, and a database one revision behind is named."""

from __future__ import annotations

import flask_migrate
from alembic.script import ScriptDirectory
from flask import Flask

from example_app.extensions import db
from flask_broadcasts.cli.checks import Level, migrations
from flask_broadcasts.migrations.status import revision_status
from flask_broadcasts.state import get_state
from tests.support.database import scratch_database
from tests.support.example_host import make_app
from tests.support.logging_state import logging_kept


def _head(app: Flask) -> str:
    """The host's one head: its latest merge of the extension's revisions."""
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config()).get_current_head()


def test_a_database_at_the_hosts_merged_head_is_at_head(example_app_database):
    app = make_app(example_app_database.url)
    with app.app_context():
        head = _head(app)
        with db.engine.connect() as connection:
            status = revision_status(app, connection)
        found = migrations(app, get_state(app))
        db.engine.dispose()
    assert head.startswith("merge_")
    assert (status.source, status.current, status.heads, status.at_head) == ("Flask-Migrate", (head,), (head,), True)
    assert [(f.level, f.message) for f in found] == [(Level.OK, f"database at head ({head})")]


def test_a_database_behind_the_hosts_head_is_a_problem_naming_both(tmp_path):
    with scratch_database("doctor_host", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            head = _head(app)
            with logging_kept():  # env.py's fileConfig would silence the session's loggers
                flask_migrate.upgrade(revision="merge_0001")
            found = migrations(app, get_state(app))
            db.engine.dispose()
    assert [(f.level, f.message) for f in found] == [
        (
            Level.PROBLEM,
            f"the database is at merge_0001, not at head ({head}): run `flask db upgrade`.",
        )
    ]
