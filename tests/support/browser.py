"""The example product running for real: web server, worker, SMTP server, Redis, and a Chromium.

* the database is the example app tests' one (migrated once, a private copy per test on
  SQLite, truncated tables on PostgreSQL); the test seeds it through the ``app`` fixture;
* the web server is ``flask run --with-threads`` on a free loopback port (the websocket
  holds a request thread), the worker ``flask broadcasts worker``: both separate OS
  processes, on the same database and Redis, with a queue and event channels of their own;
* mail goes to a real SMTP server on loopback (:class:`tests.support.smtp.SmtpServer`);
* Chromium is Debian's ``/usr/bin/chromium`` (``BROADCASTS_TEST_CHROMIUM`` overrides),
  driven by Playwright. Missing, the test fails: ``.ci/run`` installs it.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.support.example_fixtures import app, database_uri, migrated_database  # noqa: F401  (fixtures)
from tests.support.fixtures import redis_url  # noqa: F401  (REDIS_URL, else an embedded Redis)
from tests.support.smtp import SmtpServer, free_port

ROOT = Path(__file__).resolve().parents[2]
FLASK = [sys.executable, "-m", "flask", "--app", "example_app"]
CHROMIUM = os.environ.get("BROADCASTS_TEST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


class Process:
    """A child process whose output is kept (and shown when a test fails)."""

    def __init__(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.name = name
        self.popen = subprocess.Popen(
            command,
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self.output.append(line)

    def log(self) -> str:
        return f"--- {self.name} (exit {self.popen.poll()}) ---\n" + "".join(self.output[-60:])

    def stop(self) -> None:
        if self.popen.poll() is None:
            os.killpg(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(10)
            except subprocess.TimeoutExpired:
                os.killpg(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)


class Stack:
    """The running product: its URL, its processes and the SMTP server."""

    def __init__(self, base_url: str, smtp: SmtpServer, processes: list[Process]) -> None:
        self.base_url = base_url
        self.smtp = smtp
        self.processes = processes

    def logs(self) -> str:
        return "\n".join(process.log() for process in self.processes)


def _wait_until_serving(base_url: str, web: Process, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if web.popen.poll() is not None:
            break
        try:
            if requests.get(f"{base_url}/dashboard/", timeout=1).status_code == 200:
                return
        except requests.ConnectionError:
            pass
        time.sleep(0.1)
    raise AssertionError("the web server did not start:\n" + web.log())


@pytest.fixture
def stack_env() -> dict[str, str]:
    """More environment of the web and worker processes (a test module overrides it)."""
    return {}


@pytest.fixture
def stack(app, database_uri: str, redis_url: str, stack_env: dict[str, str]) -> Iterator[Stack]:  # noqa: F811
    smtp = SmtpServer().start()
    port = free_port()
    run = uuid.uuid4().hex[:8]
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
        "REDIS_URL": redis_url,
        "SECRET_KEY": "browser-test",
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(smtp.port),
        "MAIL_DEFAULT_SENDER": "news@example.com",
        "BROADCASTS_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "BROADCASTS_QUEUE": f"browser-{run}",
        "BROADCASTS_EVENT_CHANNEL_PREFIX": f"browser-{run}:org:",
        **stack_env,
    }
    env.pop("FLASK_APP", None)
    processes = [
        Process("worker", [*FLASK, "broadcasts", "worker", "--name", f"browser-{run}"], env),
        Process(
            "web",
            [
                *FLASK,
                "run",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--with-threads",
                "--no-reload",
                "--no-debugger",
            ],
            env,
        ),
    ]
    try:
        base_url = f"http://127.0.0.1:{port}"
        _wait_until_serving(base_url, processes[1])
        yield Stack(base_url, smtp, processes)
    finally:
        for process in processes:
            process.stop()
        smtp.stop()


@pytest.fixture
def browser() -> Iterator[object]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(
            f"Chromium is not installed at {CHROMIUM}: the dashboard test needs a real browser. "
            "Install Debian's package (apt-get install -y chromium; .ci/run does) "
            "or point BROADCASTS_TEST_CHROMIUM at a Chromium binary.",
            pytrace=False,
        )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()
