"""``make run`` (``python -m example_app.run_all``), the README's first command, for real:
it migrates, seeds, starts a worker, the scheduler and the web app, and prints the line the
quickstart shows — whose ``curl`` answers 200 — and the dashboard's URL."""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path

import requests

from tests.support.fixtures import redis_url  # noqa: F401  (REDIS_URL, else an embedded Redis)
from tests.support.smtp import free_port

ROOT = Path(__file__).resolve().parents[3]
PRINTED = re.compile(
    r"^token (?P<token>\S+) \(organization (?P<org>\S+)\) \| "
    r"curl -H 'Authorization: Bearer (?P=token)' -H 'Accept: (?P<accept>[^']+)' '(?P<url>[^']+)'$"
)
# The quickstart's rendering of that line, with the token cut short.
SHOWN = re.compile(r"token (\S+)\.\.\. \(organization \S+\) \| curl -H 'Authorization: Bearer \1\.\.\.' \.\.\.")


def test_make_run_prints_a_working_curl_and_the_dashboard(tmp_path: Path, redis_url: str) -> None:  # noqa: F811
    assert SHOWN.search((ROOT / "docs" / "quickstart.rst").read_text()), "the quickstart no longer shows the line"
    port = free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "SEED_CUSTOMERS": "5",
        "SECRET_KEY": "make-run",
        # The zero-setup default is SQLite; a file of this test's own, not the instance folder's.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'run.db'}",
        "REDIS_URL": redis_url,
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": str(free_port()),
        "BROADCASTS_QUEUE": f"make-run-{uuid.uuid4().hex[:8]}",
        "BROADCASTS_EVENT_CHANNEL_PREFIX": f"make-run-{uuid.uuid4().hex[:8]}:org:",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "example_app.run_all"],
        cwd=ROOT,
        env=env,
        text=True,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    threading.Thread(target=lambda: [lines.put(line) for line in process.stdout], daemon=True).start()
    seen: list[str] = []
    # One deadline for both lines: the worker and the scheduler keep logging, so a wait per
    # line would never end if the token line were missed (a CI run hung here once).
    deadline = time.monotonic() + 90
    try:
        printed = dashboard = None
        while printed is None or dashboard is None:
            line = lines.get(timeout=max(0.0, deadline - time.monotonic())).rstrip("\n")
            seen.append(line)
            printed = printed or PRINTED.match(line)
            if line.startswith("dashboard "):
                dashboard = line.removeprefix("dashboard ")

        answer = requests.get(
            printed["url"],
            headers={"Authorization": f"Bearer {printed['token']}", "Accept": printed["accept"]},
            timeout=10,
        )
        assert answer.status_code == 200, answer.text
        assert answer.headers["Content-Type"] == "application/vnd.api+json"
        assert answer.json()["data"] == []  # a fresh organization: no campaign yet
        # The token is never in the dashboard's URL: the page asks for it (kept in memory).
        assert dashboard == f"http://127.0.0.1:{port}/dashboard/ (sign in with the token and organization above)"
        assert printed["token"] not in dashboard
        assert requests.get(dashboard.split(" ")[0], timeout=10).status_code == 200
    except queue.Empty:
        raise AssertionError("make run printed no token line:\n" + "\n".join(seen[-30:])) from None
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
