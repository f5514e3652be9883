"""Fixtures of the fault suite: our own Redis, a private PostgreSQL database, a fleet of processes.

The suite never touches shared services: Redis is a ``redis-server`` of its own (so it can be
killed), PostgreSQL is a private database created on ``DATABASE_URL``'s server (or, without
one, on a throwaway cluster of our own); the PostgreSQL-restart test uses a cluster of its own.
"""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from tests.support.fixtures import app, smtp  # noqa: F401

from .harness import FIGURES, Fleet, PostgresCluster, RedisServer


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory) -> Iterator[RedisServer]:
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.kill()


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    if redis_server.process is None or redis_server.process.poll() is not None:
        redis_server.start()
    return redis_server.url


@pytest.fixture(scope="session")
def session_database_url() -> Iterator[str]:
    """A database of our own for the session, dropped at the end."""
    server_url = os.environ.get("DATABASE_URL", "")
    cluster = None
    if not server_url.startswith("postgresql"):
        cluster = PostgresCluster().init().start()
        server_url = cluster.url
    name = f"faults_{uuid.uuid4().hex[:10]}"
    admin = sa.create_engine(sa.engine.make_url(server_url).set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield sa.engine.make_url(server_url).set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()
    if cluster is not None:
        cluster.destroy()


@pytest.fixture
def database_url(session_database_url: str) -> str:
    return session_database_url


@pytest.fixture
def env(redis_url: str, smtp, database_url: str) -> dict[str, str]:  # noqa: F811
    return {"REDIS_URL": redis_url, "MAIL_PORT": str(smtp.port), "DATABASE_URL": database_url,
            "BCAST_TEST_CONFIG": "{}"}


@pytest.fixture
def is_postgres() -> bool:
    return True


@pytest.fixture
def fleet(request, env: dict[str, str]) -> Iterator[Fleet]:
    fleet = Fleet(env)
    yield fleet
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        print("\n" + fleet.output())
    fleet.stop_all()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def pytest_terminal_summary(terminalreporter, exitstatus, config) -> None:  # noqa: ARG001
    if not FIGURES:
        return
    columns = ["fault", "N", "once", "duplicated", "lost", "in_doubt", "seconds", "note"]
    rows = [[str(f.get(c, "")) for c in columns] for f in FIGURES]
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(columns)]
    tr = terminalreporter
    tr.section("fault-injection figures")
    tr.write_line("  ".join(c.ljust(w) for c, w in zip(columns, widths)))
    tr.write_line("  ".join("-" * w for w in widths))
    for r in rows:
        tr.write_line("  ".join(v.ljust(w) for v, w in zip(r, widths)))
    path = os.environ.get("FAULTS_FIGURES_JSON")
    if path:
        with open(path, "w") as out:
            json.dump(FIGURES, out, indent=1, default=str)
