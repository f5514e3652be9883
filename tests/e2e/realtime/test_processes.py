"""Two web OS processes (``flask run`` and gunicorn gthread) and a third that publishes."""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.realtime import campaign_event, connect, receive_close, refused_status, request_ticket

ROOT = Path(__file__).resolve().parents[3]
APP = "tests.support.realtime_host"


class WebProcess:
    """A server process; its address is read from what it logs on start."""

    def __init__(self, command: list[str], env: dict[str, str], address_pattern: str) -> None:
        self.process = subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
        )
        self.lines: queue.Queue[str] = queue.Queue()
        self.output: list[str] = []
        threading.Thread(target=self._pump, daemon=True).start()
        self.address = self._wait_for(re.compile(address_pattern))

    def _pump(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def _wait_for(self, pattern: re.Pattern[str], timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                line = self.lines.get(timeout=0.1)
            except queue.Empty:
                if self.process.poll() is not None:
                    break
                continue
            self.output.append(line)
            if match := pattern.search(line):
                return match.group(1)
        raise AssertionError("server did not start:\n" + "".join(self.output))

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(5)


@pytest.fixture
def web_processes(redis_url: str, channel_prefix: str) -> Iterator[tuple[WebProcess, WebProcess]]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "BROADCASTS_REDIS_URL": redis_url,
        "BROADCASTS_EVENT_CHANNEL_PREFIX": channel_prefix,
    }
    flask_run = [sys.executable, "-m", "flask", "--app", APP, "run", "--port", "0", "--no-reload", "--no-debugger"]
    gunicorn = [
        sys.executable,
        "-m",
        "gunicorn",
        "-k",
        "gthread",
        "--threads",
        "8",
        "-b",
        "127.0.0.1:0",
        f"{APP}:create_app()",
    ]
    started: list[WebProcess] = []
    try:
        started.append(WebProcess(flask_run, env, r"Running on http://(127\.0\.0\.1:\d+)"))
        started.append(WebProcess(gunicorn, env, r"Listening at: http://(127\.0\.0\.1:\d+)"))
        yield started[0], started[1]
    finally:
        for process in started:
            process.stop()


def test_both_web_processes_receive_an_event_published_by_a_third(
    web_processes, redis_url: str, channel_prefix: str
) -> None:  # type: ignore[no-untyped-def]
    flask_run, gunicorn = web_processes
    sockets = [connect(p.address, "o=1", token="alice-token") for p in web_processes]
    other_organization = connect(gunicorn.address, "o=2", token="bob-token")
    # A ticket is stored in Redis: issued by one process, it is redeemed by the other.
    ticket = request_ticket(flask_run.address, "1")
    sockets.append(connect(gunicorn.address, f"o=1&ticket={ticket}"))

    text = json.dumps(campaign_event(12, 5))
    for organization, payload in (("2", json.dumps(campaign_event(20))), ("1", text)):
        subprocess.run(
            [
                sys.executable,
                "-c",
                "import redis, sys; redis.Redis.from_url(sys.argv[1]).publish(sys.argv[2], sys.argv[3])",
                redis_url,
                channel_prefix + organization,
                payload,
            ],
            check=True,
            timeout=20,
        )
    assert [ws.recv() for ws in sockets] == [text, text, text]
    assert json.loads(other_organization.recv())["data"]["id"] == "20"
    for ws in (*sockets, other_organization):
        ws.close()


def test_refusals_and_close_codes_under_both_servers(web_processes) -> None:  # type: ignore[no-untyped-def]
    for process in web_processes:
        assert refused_status(process.address, "o=2", token="alice-token") == 403
        assert refused_status(process.address, "o=1", token="alice-token", origin="https://evil.example") == 403
        ws = connect(process.address, "o=1", token="alice-token")
        ws.send("not json")
        assert receive_close(ws) == 1008
    # The clients keep their TCP connections open: the servers still shut down promptly
    # (a lingering simple-websocket thread used to hold gunicorn for its graceful timeout).
    for process in web_processes:
        process.process.terminate()
        process.process.wait(5)
