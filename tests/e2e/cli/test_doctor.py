"""Tests of flask_broadcasts.cli.doctor.

``flask broadcasts doctor`` as a subprocess: passing on a good stack, failing — naming the cause —
with the mail server down, with a migration missing, and with no worker on the queue."""

from __future__ import annotations

import json
import re

import pytest
import sqlalchemy as sa
from alembic.config import Config
from alembic.script import ScriptDirectory

from flask_broadcasts.migrations import BRANCH_LABEL, VERSIONS_DIR
from tests.support.cli import run_cli
from tests.support.database import create_engine, scratch_database, upgrade_extension

pytestmark = pytest.mark.usefixtures("stack_worker")

#: The extension's newest revision: what a database of the stack is at, and what the doctor expects.
_CONFIG = Config()
_CONFIG.set_main_option("script_location", str(VERSIONS_DIR.parent))
_CONFIG.set_main_option("path_separator", "os")
_CONFIG.set_main_option("version_locations", str(VERSIONS_DIR))
HEAD = ScriptDirectory.from_config(_CONFIG).get_current_head()


def _lines(result) -> dict[str, list[tuple[str, str]]]:
    """``{check: [(level, message), ...]}`` of the report."""
    found: dict[str, list[tuple[str, str]]] = {}
    for line in result.stdout.splitlines():
        match = re.match(r"^(ok|warning|PROBLEM)\s+(\S+)\s+(.*)$", line)
        if match:
            found.setdefault(match.group(2), []).append((match.group(1), match.group(3)))
    return found


def _problems(result) -> list[str]:
    return [
        f"{check}: {message}"
        for check, items in _lines(result).items()
        for level, message in items
        if level == "PROBLEM"
    ]


def test_doctor_passes_on_a_good_stack(stack_env, stack_smtp):
    result = run_cli(stack_env, "doctor")
    assert result.returncode == 0, result.output
    checks = _lines(result)
    assert set(checks) == {"configuration", "smtp", "redis", "migrations", "workers", "scheduler"}
    assert _problems(result) == []
    assert ("ok", f"127.0.0.1:{stack_smtp.port} answers EHLO: PIPELINING, 8BITMIME, SIZE 33554432") in checks["smtp"]
    assert ("ok", f"database at head ({HEAD})") in checks["migrations"]
    assert checks["workers"][0][0] == "ok" and checks["workers"][0][1].startswith("1 on queue broadcasts-cli-")
    assert checks["scheduler"][0][0] == "ok"
    assert result.stdout.splitlines()[-1].startswith("no problem")


def test_doctor_names_a_mail_server_that_does_not_answer(stack_env, stack_smtp):
    stack_smtp.stop()
    try:
        result = run_cli(stack_env, "doctor")
    finally:
        stack_smtp.start()
    assert result.returncode == 1
    assert _problems(result) == [
        f"smtp: cannot reach the mail server 127.0.0.1:{stack_smtp.port}: [Errno 111] Connection refused"
    ]
    assert result.stdout.splitlines()[-1].startswith("1 problem,")


def test_doctor_names_a_missing_migration(stack_env, tmp_path):
    with scratch_database("doctor_old", tmp_path) as url:
        engine = create_engine(url)
        with engine.begin() as connection:
            upgrade_extension(connection, f"{BRANCH_LABEL}@broadcasts_0001")
            assert connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar() == "broadcasts_0001"
        engine.dispose()
        env = {**stack_env, "DATABASE_URL": url}
        if "BCAST_TEST_SQLITE" in env:
            env["BCAST_TEST_SQLITE"] = sa.make_url(url).database
        result = run_cli(env, "doctor")
    assert result.returncode == 1
    assert _problems(result) == [
        f"migrations: the database is at broadcasts_0001, not at head ({HEAD}): run `flask db upgrade`."
    ]


def test_doctor_names_a_queue_no_worker_listens_on(stack_env):
    config = json.loads(stack_env["BCAST_TEST_CONFIG"])
    queue = config["BROADCASTS_QUEUE"] + "-unserved"
    env = {**stack_env, "BCAST_TEST_CONFIG": json.dumps({**config, "BROADCASTS_QUEUE": queue})}
    result = run_cli(env, "doctor")
    assert result.returncode == 1
    assert _problems(result) == [
        f"workers: no worker on queue {queue}: nothing is sent (start `flask broadcasts worker`)."
    ]
