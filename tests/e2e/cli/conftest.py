"""One real stack for the CLI suite: a database, Redis, an SMTP server on loopback and a worker process.

Started once for the folder (the CI budget: package-scoped), each on names of its own: its own queue and
event channels on the session's Redis, its own database file (or the session's emptied
PostgreSQL database).
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Iterator

import pytest
from redis import Redis

from tests.support.database import MigratedDatabase
from tests.support.processes import start_worker
from tests.support.smtp import SmtpServer

#: The worker sends one message about every 10 ms: a 300-recipient run lasts a few seconds.
SMTP_DELAY = 0.01


@pytest.fixture(scope="package")
def stack_smtp() -> Iterator[SmtpServer]:
    server = SmtpServer(delay=SMTP_DELAY).start()
    yield server
    server.stop()


@pytest.fixture(scope="package")
def stack_env(tmp_path_factory, redis_url, stack_smtp, host_database: MigratedDatabase) -> dict[str, str]:
    """The environment of the module's app, worker and CLI processes."""
    directory = tmp_path_factory.mktemp("cli")
    tag = uuid.uuid4().hex[:10]
    config = {
        "BROADCASTS_QUEUE": f"broadcasts-cli-{tag}",
        "BROADCASTS_EVENT_CHANNEL_PREFIX": f"broadcasts-cli-{tag}:org:",
        "BROADCASTS_PUBLIC_URL": "https://broadcasts.example.test",
        "BROADCASTS_SCHEDULER_INTERVAL": 1,
    }
    values = {"REDIS_URL": redis_url, "MAIL_PORT": str(stack_smtp.port), "BCAST_TEST_CONFIG": json.dumps(config)}
    values["DATABASE_URL"] = host_database.for_test(directory, "cli.db")
    if host_database.is_sqlite:
        values["BCAST_TEST_SQLITE"] = str(directory / "cli.db")
        values["SQLALCHEMY_ENGINE_OPTIONS"] = json.dumps({"connect_args": {"timeout": 30}})
    return values


@pytest.fixture(scope="package")
def stack_app(stack_env):
    """The host app in this process (to seed rows), on the module's database."""
    with pytest.MonkeyPatch.context() as patch:
        for key, value in stack_env.items():
            patch.setenv(key, value)
        from tests.support.hostapp import create_app, db

        app = create_app()
        with app.app_context():
            Redis.from_url(stack_env["REDIS_URL"]).flushdb()
            yield app
            db.session.remove()
            db.engine.dispose()


@pytest.fixture(scope="package")
def stack_worker(stack_env, stack_app):
    """``flask broadcasts worker --with-scheduler``, registered in RQ's worker registry before the tests."""
    from rq import Worker

    from flask_broadcasts.background.queues import get_queue
    from flask_broadcasts.state import get_state

    proc = start_worker(stack_env, burst=False, with_scheduler=True)
    queue = get_queue(get_state(stack_app))
    deadline = time.monotonic() + 60
    while not Worker.all(queue=queue):
        assert proc.poll() is None, proc.stdout.read().decode(errors="replace")
        assert time.monotonic() < deadline, "the worker did not register"
        time.sleep(0.2)
    yield proc
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.communicate(timeout=20)
    except Exception:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
