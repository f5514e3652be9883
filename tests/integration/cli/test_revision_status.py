"""The doctor's migration check on a host with Flask-Migrate (the example app): its whole history
is compared, its merge revision is the head, and a database one revision behind is named."""

from __future__ import annotations

import flask_migrate

from example_app.extensions import db
from flask_broadcasts.cli.checks import Level, migrations
from flask_broadcasts.migrations.status import revision_status
from flask_broadcasts.state import get_state
from tests.support.database import scratch_database
from tests.support.example_host import make_app


def test_a_database_at_the_hosts_merged_head_is_at_head(example_app_database):
    app = make_app(example_app_database.url)
    with app.app_context():
        with db.engine.connect() as connection:
            status = revision_status(app, connection)
        found = migrations(app, get_state(app))
        db.engine.dispose()
    assert (status.source, status.current, status.heads, status.at_head) == (
        "Flask-Migrate",
        ("merge_0002",),
        ("merge_0002",),
        True,
    )
    assert [(f.level, f.message) for f in found] == [(Level.OK, "database at head (merge_0002)")]


def test_a_database_behind_the_hosts_head_is_a_problem_naming_both(tmp_path):
    with scratch_database("doctor_host", tmp_path) as url:
        app = make_app(url)
        with app.app_context():
            flask_migrate.upgrade(revision="merge_0001")
            found = migrations(app, get_state(app))
            db.engine.dispose()
    assert [(f.level, f.message) for f in found] == [
        (
            Level.PROBLEM,
            "the database is at merge_0001, not at head (merge_0002): run `flask db upgrade`.",
        )
    ]
