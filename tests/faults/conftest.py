"""Fixtures of the fault suite: our own Redis, a private PostgreSQL database, a fleet of processes.

The suite never touches shared services: Redis is a ``redis-server`` of its own (so it can be
killed), PostgreSQL is a scratch database migrated once on ``DATABASE_URL``'s server
(``tests/support/database.py``; without one, on a throwaway cluster of our own) and emptied
before each test; the PostgreSQL-restart test uses a cluster of its own.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator

import pytest

from tests.support import database
from tests.support.database import MigratedDatabase, build_extension_schema, migrated_database
from tests.support.faults.harness import FIGURES, Fleet, PostgresCluster, RedisServer
from tests.support.fixtures import app, smtp  # noqa: F401
from tests.support.host import HostBase


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
def faults_database(tmp_path_factory) -> Iterator[MigratedDatabase]:
    """The test host's schema, by the extension's migrations: a scratch database on
    ``DATABASE_URL``'s server, or (without one) a throwaway cluster of our own."""

    def build(url: str) -> None:
        build_extension_schema(url, HostBase.metadata)

    if database.is_postgres():
        with migrated_database("faults", tmp_path_factory.mktemp("faults"), build) as migrated:
            yield migrated
        return
    cluster = PostgresCluster().init().start()
    try:
        build(cluster.url)
        migrated = MigratedDatabase(cluster.url)
        yield migrated
        migrated.dispose()
    finally:
        cluster.destroy()


@pytest.fixture
def migrated(faults_database: MigratedDatabase) -> MigratedDatabase:
    return faults_database


@pytest.fixture
def env(tmp_path, redis_url: str, smtp, migrated: MigratedDatabase) -> dict[str, str]:  # noqa: F811
    """This test's app and processes: our Redis, the SMTP server, the database emptied."""
    return {
        "REDIS_URL": redis_url,
        "MAIL_PORT": str(smtp.port),
        "DATABASE_URL": migrated.for_test(tmp_path),
        "BCAST_TEST_CONFIG": "{}",
    }


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
    tr.write_line("  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)))
    tr.write_line("  ".join("-" * w for w in widths))
    for r in rows:
        tr.write_line("  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)))
    path = os.environ.get("FAULTS_FIGURES_JSON")
    if path:
        with open(path, "w") as out:
            json.dump(FIGURES, out, indent=1, default=str)
