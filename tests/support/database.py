"""The database of every suite: one scratch database per host shape, built by the migrations.

* Default: a SQLite file (WAL, busy timeout) in the session's temp folder, migrated once;
  each test gets its own copy (:meth:`MigratedDatabase.for_test`), so worker OS processes
  given that URL share the test's file.
* ``DATABASE_URL`` set: a scratch database created for the session on that server (one per
  xdist worker, named after it), migrated once, dropped at the end; each test starts from
  emptied tables. Nothing is ever written into the ``DATABASE_URL`` database itself, so
  suites and concurrent runs cannot drop each other's tables.

The schema always comes from Alembic revisions: the example app's ``flask db upgrade``
(host + extension), or the extension's own branch (``broadcasts@head``) for the small test
host (``tests/support/host.py``), whose test-only tables (no product ships them) are the one
thing created directly.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.runtime.environment import EnvironmentContext
from alembic.script import ScriptDirectory

from example_app.config import configure_engine, normalize_database_url
from flask_broadcasts.migrations import BRANCH_LABEL, VERSIONS_DIR
from flask_broadcasts.models import metadata as broadcasts_metadata

#: Tables no test empties: Alembic's bookkeeping.
KEEP_TABLES = frozenset({"alembic_version"})
#: Read once: tests hand their own scratch URL to worker processes through DATABASE_URL.
SERVER_URL = os.environ.get("DATABASE_URL") or None


def server_url() -> str | None:
    """The ``DATABASE_URL`` server (psycopg 3 driver), or None for SQLite."""
    return normalize_database_url(SERVER_URL) if SERVER_URL else None


def is_postgres() -> bool:
    return bool(server_url() and server_url().startswith("postgresql"))


def create_engine(url: str) -> sa.Engine:
    """An engine with the example app's SQLite pragmas (WAL, busy timeout), as every process uses."""
    engine = sa.create_engine(url)
    configure_engine(engine)
    return engine


@contextmanager
def scratch_database(label: str, directory: Path) -> Iterator[str]:
    """The URL of a new, empty database of its own; removed afterwards (PostgreSQL)."""
    server = server_url()
    if not server:
        yield f"sqlite:///{directory / f'{label}.db'}"
        return
    worker = os.environ.get("PYTEST_XDIST_WORKER", "main")
    name = f"bcast_{label}_{worker}_{uuid.uuid4().hex[:8]}"
    admin = create_engine(server).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield sa.make_url(server).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def extension_script() -> tuple[Config, ScriptDirectory]:
    """The Alembic config and script directory of the extension's own branch (no ``env.py``)."""
    config = Config()
    config.set_main_option("script_location", str(VERSIONS_DIR.parent))
    config.set_main_option("path_separator", "os")
    config.set_main_option("version_locations", str(VERSIONS_DIR))
    return config, ScriptDirectory.from_config(config)


def upgrade_extension(connection: sa.Connection, target: str = f"{BRANCH_LABEL}@head") -> None:
    """``alembic upgrade broadcasts@head`` (or ``target``): the extension's tables from its shipped revisions.

    Run programmatically (no ``env.py``): the revisions live in ``VERSIONS_DIR`` as their own
    branch, which is exactly what a host's ``flask db upgrade`` applies.
    """
    config, script = extension_script()

    def upgrade(revision, context):  # noqa: ANN001, ANN202
        return script._upgrade_revs(target, revision)

    with EnvironmentContext(config, script, fn=upgrade) as environment:
        environment.configure(connection=connection, target_metadata=broadcasts_metadata)
        with environment.begin_transaction():
            environment.run_migrations()


def table_names(connection: sa.Connection) -> list[str]:
    """Every table but Alembic's bookkeeping, those referring to others first."""
    metadata = sa.MetaData()
    metadata.reflect(connection)
    return [table.name for table in reversed(metadata.sorted_tables) if table.name not in KEEP_TABLES]


def empty_tables(connection: sa.Connection, names: list[str] | None = None) -> None:
    """Delete every row of every table but Alembic's, identities restarted.

    PostgreSQL: only the tables holding rows are emptied, by DELETE in dependency order
    (a TRUNCATE per table costs more than a test on a small schema); then every sequence
    is rewound, as TRUNCATE ... RESTART IDENTITY would.
    """
    names = table_names(connection) if names is None else names
    if not names:
        return
    if connection.dialect.name == "postgresql":
        probe = " UNION ALL ".join(f"SELECT '{name}' WHERE EXISTS (SELECT 1 FROM \"{name}\")" for name in names)
        filled = {row[0] for row in connection.execute(sa.text(probe))}
        for name in (name for name in names if name in filled):
            connection.execute(sa.text(f'DELETE FROM "{name}"'))
        connection.execute(
            sa.text(
                "SELECT setval(c.oid::regclass, 1, false) FROM pg_class c"
                " WHERE c.relkind = 'S' AND c.relnamespace = current_schema()::regnamespace"
            )
        )
        return
    for name in names:  # SQLite enforces no foreign keys unless asked: any order works
        connection.execute(sa.text(f'DELETE FROM "{name}"'))
    if connection.execute(sa.text("SELECT 1 FROM sqlite_master WHERE name = 'sqlite_sequence'")).first():
        connection.execute(sa.text("DELETE FROM sqlite_sequence"))


@dataclass
class MigratedDatabase:
    """A database at head for one session; :meth:`for_test` hands each test a clean one."""

    url: str
    _engine: sa.Engine | None = field(default=None, repr=False)
    _tables: list[str] | None = field(default=None, repr=False)

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")

    def for_test(self, directory: Path, name: str = "test.db") -> str:
        """A URL with the schema and no rows, private to the calling test.

        SQLite: a copy of the migrated template file in ``directory``. PostgreSQL: the
        session's database with its tables emptied (tests of one session run one at a time).
        """
        if self.is_sqlite:
            path = directory / name
            template = sa.make_url(self.url).database
            # The backup API copies a consistent image, WAL included.
            with closing(sqlite3.connect(template)) as source, closing(sqlite3.connect(path)) as target:
                source.backup(target)
            return f"sqlite:///{path}"
        self.empty()
        return self.url

    def empty(self) -> None:
        """Delete every row (the session's connection is kept: connecting costs more)."""
        if self._engine is None:
            self._engine = create_engine(self.url)
        with self._engine.begin() as connection:
            if self._tables is None:
                self._tables = table_names(connection)
            empty_tables(connection, self._tables)

    def dispose(self) -> None:
        if self._engine is not None:
            self._engine.dispose()


@contextmanager
def migrated_database(label: str, directory: Path, build: Callable[[str], None]) -> Iterator[MigratedDatabase]:
    """A scratch database on which ``build(url)`` ran the migrations once."""
    with scratch_database(label, directory) as url:
        build(url)
        database = MigratedDatabase(url)
        try:
            yield database
        finally:
            database.dispose()


def build_extension_schema(url: str, *host_metadata: sa.MetaData) -> None:
    """The extension's revisions, then the tables of a test host that no product ships."""
    engine = create_engine(url)
    with engine.begin() as connection:
        upgrade_extension(connection)
        for metadata in host_metadata:
            # Test-only host tables (not part of any product, so no migration): created directly.
            metadata.create_all(connection)
    engine.dispose()


def build_example_app_schema(url: str) -> None:
    """``flask db upgrade`` of the example app: the host's and the extension's revisions."""
    import flask_migrate

    from example_app.extensions import db

    from .example_host import make_app
    from .logging_state import logging_kept

    app = make_app(url)
    with app.app_context(), logging_kept():  # env.py's fileConfig would silence the session's loggers
        flask_migrate.upgrade()
        db.engine.dispose()


# -- session fixtures (registered for every suite by tests/conftest.py) ---------------------


@pytest.fixture(scope="session")
def example_app_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """The example app's whole schema (host + extension), by its migrations."""
    with migrated_database("example_app", tmp_path_factory.mktemp("example_app"), build_example_app_schema) as database:
        yield database


@pytest.fixture(scope="session")
def host_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """The small host's (``tests/support/host.py``): the extension's revisions, its own tables."""
    from .host import HostBase

    with migrated_database(
        "host", tmp_path_factory.mktemp("host"), lambda url: build_extension_schema(url, HostBase.metadata)
    ) as database:
        yield database


@pytest.fixture(scope="session")
def hostapp_database(host_database: MigratedDatabase) -> MigratedDatabase:
    """The former name of :func:`host_database`, kept for tests written against it."""
    return host_database


@pytest.fixture(scope="session")
def extension_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MigratedDatabase]:
    """Only the extension's tables, by its own Alembic branch (for hosts without tables)."""
    with migrated_database("extension", tmp_path_factory.mktemp("extension"), build_extension_schema) as database:
        yield database
