"""Fixtures: a fresh app per test on a schema built by the migrations (never ``create_all``).

SQLite (default): the migrations run once per session into a template file that each
test gets a copy of. PostgreSQL (``DATABASE_URL`` set): they run once into a scratch
database created for the session, and each test starts from truncated tables.
"""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import flask_migrate
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import make_url, text

from example_app import create_app
from example_app.config import normalize_database_url
from example_app.extensions import db
from example_app.models import ApiToken, Membership, Organization, User, hash_token

# The extension only connects to Redis when it needs queues; these tests never do.
TEST_REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")


def make_app(database_uri: str, **overrides: object) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": TEST_REDIS_URL,
            "MAIL_SERVER": "localhost",
            "MAIL_PORT": 8025,
            "MAIL_DEFAULT_SENDER": "broadcasts@example.com",
            **overrides,
        }
    )


def migrate_schema(database_uri: str) -> None:
    """Build the whole schema (host + extension) the way operators do: ``flask db upgrade``."""
    app = make_app(database_uri)
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()


def _postgres_database() -> Iterator[str]:
    import psycopg

    server = make_url(normalize_database_url(os.environ["DATABASE_URL"]))
    name = f"example_app_test_{uuid.uuid4().hex[:10]}"
    admin_dsn = server.set(drivername="postgresql").render_as_string(hide_password=False)
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(hide_password=False)
        migrate_schema(url)
        yield url
    finally:
        with psycopg.connect(admin_dsn, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def migrated_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URI of a database migrated to head (SQLite template file, or a PostgreSQL scratch DB)."""
    if os.environ.get("DATABASE_URL"):
        yield from _postgres_database()
        return
    template = tmp_path_factory.mktemp("template") / "template.db"
    migrate_schema(f"sqlite:///{template}")
    yield str(template)


@pytest.fixture
def database_uri(migrated_database: str, tmp_path: Path) -> str:
    """A database at head with no rows, private to this test."""
    if migrated_database.startswith("postgresql"):
        return migrated_database
    path = tmp_path / "test.db"
    # The backup API copies a consistent image, WAL included.
    with sqlite3.connect(migrated_database) as source, sqlite3.connect(path) as target:
        source.backup(target)
    return f"sqlite:///{path}"


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:
    app = make_app(database_uri)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            tables = ", ".join(
                f'"{name}"'
                for (name,) in db.session.execute(
                    text("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename <> 'alembic_version'")
                )
            )
            db.session.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
            db.session.commit()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@dataclass
class Tenant:
    """An organization with a member and that member's token."""

    id: int
    token: str
    user_id: int

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": "application/vnd.api+json"}


@pytest.fixture
def make_tenant(app: Flask) -> Callable[[str], Tenant]:
    def make(name: str) -> Tenant:
        organization = Organization(name=name)
        user = User(email=f"{name.lower().replace(' ', '.')}@example.com", name=name)
        token = f"token-{uuid.uuid4().hex}"
        user.tokens.append(ApiToken(token_hash=hash_token(token)))
        db.session.add_all([organization, user])
        db.session.flush()
        db.session.add(Membership(user_id=user.id, organization_id=organization.id))
        db.session.commit()
        return Tenant(id=organization.id, token=token, user_id=user.id)

    return make


@pytest.fixture
def tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Acme")


@pytest.fixture
def other_tenant(make_tenant: Callable[[str], Tenant]) -> Tenant:
    return make_tenant("Globex")
