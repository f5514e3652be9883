"""Fixtures: a fresh example app per test on a schema built by the migrations (never ``create_all``).

The database comes from ``tests/support/database.py``: a SQLite template file migrated once
per session and copied per test, or (``DATABASE_URL`` set) a scratch PostgreSQL database
migrated once per session, emptied before each test.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue
from sqlalchemy import event as sa_event

from example_app.extensions import db
from example_app.models import ApiToken, Membership, Organization, User, hash_token
from flask_broadcasts import get_state
from tests.support.database import MigratedDatabase, build_example_app_schema
from tests.support.example_host import TEST_REDIS_URL, make_app
from tests.support.smtp import SmtpServer

__all__ = ["TEST_REDIS_URL", "make_app", "migrate_schema"]


def migrate_schema(database_uri: str) -> None:
    """Build the whole schema (host + extension) the way operators do: ``flask db upgrade``."""
    build_example_app_schema(database_uri)


@pytest.fixture(scope="session")
def migrated_database(example_app_database: MigratedDatabase) -> str:
    """The URI of the session's database migrated to head."""
    return example_app_database.url


@pytest.fixture
def database_uri(example_app_database: MigratedDatabase, tmp_path: Path) -> str:
    """A database at head with no rows, private to this test."""
    return example_app_database.for_test(tmp_path)


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:
    app = make_app(database_uri)
    with app.app_context():
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


def all_ids(client: FlaskClient, path: str, organization_id: int, token: str, filters: dict[str, str]) -> list[str]:
    query = {f"filter[{key}]": value for key, value in filters.items()} | {"o": organization_id, "page[size]": 1000}
    response = client.get(path, query_string=query, headers={"Authorization": f"Bearer {token}"})
    assert response.status_code == 200, response.get_json()
    return [resource["id"] for resource in response.get_json()["data"]]


@contextmanager
def sql_statements() -> Iterator[list[str]]:
    """The SQL statements the example app's engine runs inside the block."""
    seen: list[str] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        seen.append(statement)

    sa_event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa_event.remove(db.engine, "before_cursor_execute", before)


@pytest.fixture
def mail_server(app: Flask) -> Iterator[SmtpServer]:
    """A real SMTP server on loopback that the example app's e-mails go to (Flask-Mail's
    testing switch off: the test wants the real exchange)."""
    server = SmtpServer().start()
    mail = app.extensions["mail"]
    mail.server, mail.port, mail.suppress = "127.0.0.1", server.port, False
    app.config.update(MAIL_DEFAULT_SENDER="news@example.com")
    yield server
    server.stop()


@pytest.fixture
def run_queue(app: Flask) -> Queue:
    """An RQ queue of this test's own (parallel runs on one Redis never take each other's jobs);
    ``SimpleWorker([run_queue], connection=run_queue.connection).work(burst=True)`` sends."""
    state = get_state()
    state.settings.queue = f"test-run-{uuid.uuid4().hex[:8]}"
    return Queue(state.settings.queue, connection=state.redis)
