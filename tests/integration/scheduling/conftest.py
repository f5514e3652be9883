"""Fixtures for the rq-scheduler timers: an app on a database with no rows, on a real Redis.

The small host (``tests/support/host.py``) on its database (the extension's tables built by its
Alembic revisions, ``tests/support/database.py``; no host table is read here). The scheduling
functions' own tests and fixtures are in tests/integration/engine and tests/support/scheduling.py.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask

from tests.support.database import MigratedDatabase
from tests.support.host import db, make_app
from tests.support.redis_dbs import for_this_worker

REDIS_URL = for_this_worker(os.environ.get("SCHEDULING_TEST_REDIS_URL", "redis://127.0.0.1:6379/7"))


@pytest.fixture
def app(host_database: MigratedDatabase, tmp_path: Path) -> Iterator[Flask]:
    app = make_app(host_database.for_test(tmp_path), REDIS_URL=REDIS_URL, SECRET_KEY="scheduling-secret")
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
