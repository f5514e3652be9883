"""The migrations build the whole schema, and the models have not drifted from them."""

from __future__ import annotations

import flask_migrate
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask import Flask
from sqlalchemy import inspect

from example_app.extensions import db
from flask_broadcasts.models import metadata as broadcasts_metadata


def test_one_head_that_merges_host_and_extension(app: Flask) -> None:
    config = app.extensions["migrate"].migrate.get_config()
    script = ScriptDirectory.from_config(config)
    assert script.get_heads() == ["merge_0011"]
    assert set(script.get_revision("merge_0001").down_revision) == {"host_0001", "broadcasts_0001"}
    # Each extension release that ships a revision is merged in again (docs/migrations.rst).
    assert set(script.get_revision("merge_0002").down_revision) == {"merge_0001", "broadcasts_0002"}
    assert set(script.get_revision("merge_0003").down_revision) == {"merge_0002", "broadcasts_0003"}
    assert set(script.get_revision("merge_0004").down_revision) == {"merge_0003", "broadcasts_0004"}
    assert set(script.get_revision("merge_0005").down_revision) == {"merge_0004", "broadcasts_0005"}
    assert set(script.get_revision("merge_0006").down_revision) == {"merge_0005", "broadcasts_0006"}
    assert set(script.get_revision("merge_0007").down_revision) == {"merge_0006", "broadcasts_0007"}
    # The host's own revision (customers' marketing_opt_in) stays on its branch, joined here.
    assert script.get_revision("host_0002").down_revision == "host_0001"
    assert set(script.get_revision("merge_0008").down_revision) == {"merge_0007", "broadcasts_0008", "host_0002"}
    assert set(script.get_revision("merge_0009").down_revision) == {"merge_0008", "broadcasts_0009"}
    assert set(script.get_revision("merge_0010").down_revision) == {"merge_0009", "broadcasts_0010"}
    assert set(script.get_revision("merge_0011").down_revision) == {"merge_0010", "broadcasts_0011"}
    with db.engine.connect() as connection:
        assert MigrationContext.configure(connection).get_current_heads() == ("merge_0011",)


def test_upgrade_built_host_and_extension_tables(app: Flask) -> None:
    tables = set(inspect(db.engine).get_table_names())
    assert set(db.metadata.tables) <= tables
    assert set(broadcasts_metadata.tables) <= tables


def test_no_drift(app: Flask) -> None:
    # What `flask db migrate` would generate after `flask db upgrade`: nothing, and it
    # must not propose to drop the extension's tables.
    include_object = app.extensions["migrate"].configure_args["include_object"]
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include_object})
        assert compare_metadata(context, db.metadata) == []
    # And the same through Flask-Migrate (exits non-zero on drift).
    flask_migrate.check()


def test_no_drift_in_the_extensions_tables(app: Flask) -> None:
    # The host's check hides the extension's tables; compare them on their own: the models
    # of flask_broadcasts against what its shipped revisions built, on this database.
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                "include_object": lambda obj, name, type_, reflected, compare_to: (
                    type_ != "table" or name in broadcasts_metadata.tables
                ),
            },
        )
        assert compare_metadata(context, broadcasts_metadata) == []
