"""The fault-injection harness: real processes we can kill, restart and count.

* :class:`RedisServer` — a ``redis-server`` of our own on a free loopback port (never the
  machine's 6379), killed and restarted *empty* (no RDB, no AOF).
* :class:`PostgresCluster` — a throwaway PostgreSQL cluster (``initdb`` + ``postgres``) in a
  temporary directory on a free port, restartable (the machine's service is never touched).
* :class:`Fleet` — worker, scheduler and web processes started through
  :mod:`tests.support.processes`; every process it started is ended at teardown.
* :class:`Tally` — what the SMTP server received and what the database says, as
  delivered once / duplicated / lost / in doubt; :func:`record` adds a row to the figures
  table printed at the end of the session (see ``conftest.pytest_terminal_summary``).
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psutil
import sqlalchemy as sa

from tests.support import hostapp
from tests.support.processes import ROOT, start_worker, worker_env
from tests.support.smtp import free_port

#: Recipients of the sending faults (``.ci/run``: 2,000).
N = int(os.environ.get("FAULTS_N", "2000"))

FIGURES: list[dict[str, Any]] = []


def record(fault: str, **figures: Any) -> None:
    """Add one row to the session's figures table."""
    FIGURES.append({"fault": fault, **figures})


def wait_until(predicate: Callable[[], Any], timeout: float, *, interval: float = 0.05, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what or predicate}")
        time.sleep(interval)


def kill_tree(proc: subprocess.Popen | psutil.Process, sig: int = signal.SIGKILL) -> None:
    """Signal a process and all its descendants (a worker and its work-horse)."""
    try:
        parent = psutil.Process(proc.pid)
        family = [parent, *parent.children(recursive=True)]
    except psutil.NoSuchProcess:
        family = []
    for p in family:
        try:
            p.send_signal(sig)
        except psutil.NoSuchProcess:
            pass
    if isinstance(proc, subprocess.Popen):
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            kill_tree(proc, signal.SIGKILL)


def _wait_port(port: int, timeout: float = 20) -> None:
    def accepting() -> bool:
        with socket.socket() as s:
            s.settimeout(0.2)
            return s.connect_ex(("127.0.0.1", port)) == 0

    wait_until(accepting, timeout, what=f"port {port}")


# -- Redis ----------------------------------------------------------------------------------


class RedisServer:
    """Our own ``redis-server``: nothing persisted, so a restart comes back empty."""

    def __init__(self, directory: Path, port: int | None = None) -> None:
        self.directory = directory
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> RedisServer:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
                "--loglevel",
                "warning",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        _wait_port(self.port)
        return self

    def kill(self) -> None:
        if self.process is not None:
            self.process.kill()
            self.process.wait(10)
            self.process = None

    def restart_empty(self, down_for: float = 0.0) -> None:
        self.kill()
        time.sleep(down_for)
        self.start()


# -- PostgreSQL -----------------------------------------------------------------------------


def _pg_bin() -> Path:
    for version in ("17", "16", "15", "14"):
        path = Path(f"/usr/lib/postgresql/{version}/bin")
        if (path / "initdb").exists():
            return path
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    raise RuntimeError("no initdb on this machine")


class PostgresCluster:
    """A throwaway cluster: ``initdb`` into a temporary directory, ``postgres -p PORT``.

    As root, the server runs as the ``postgres`` user (PostgreSQL refuses root).
    """

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.directory = Path(tempfile.mkdtemp(prefix="faults-pg-"))
        self.data = self.directory / "data"
        self.process: subprocess.Popen | None = None
        self.bin = _pg_bin()
        self._user = "postgres" if os.geteuid() == 0 else None

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def init(self) -> PostgresCluster:
        if self._user:
            pw = pwd.getpwnam(self._user)
            os.chown(self.directory, pw.pw_uid, pw.pw_gid)
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync"],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            user=self._user,
        )
        return self

    def start(self) -> PostgresCluster:
        # The postgres process itself (no runuser in between), so that stop() signals the postmaster.
        self.process = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.directory),
                # fsync off is safe here (the OS survives a postgres crash); synchronous_commit must stay
                # on: with it off, an immediate restart loses acknowledged commits (records of
                # acceptances) and those messages go out twice — measured, 7 of 2,000.
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "max_connections=200",
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
            user=self._user,
        )
        _wait_port(self.port)
        wait_until(self._ready, 20, interval=0.1, what="postgres ready")
        return self

    def _ready(self) -> bool:
        result = subprocess.run([str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port), "-q"])
        return result.returncode == 0

    def stop(self, mode: str = "fast") -> None:
        """``fast``: SIGINT (connections are cut, a clean shutdown); ``immediate``: SIGQUIT (crash-like)."""
        if self.process is None:
            return
        self.process.send_signal(signal.SIGINT if mode == "fast" else signal.SIGQUIT)
        try:
            self.process.wait(30)
        except subprocess.TimeoutExpired:
            kill_tree(self.process)
        self.process = None

    def restart(self, mode: str = "immediate", down_for: float = 0.0) -> None:
        self.stop(mode)
        time.sleep(down_for)
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.directory, ignore_errors=True)


# -- processes ------------------------------------------------------------------------------


class WebProcess:
    """gunicorn (gthread) serving the fault host app on a fixed port (so clients can reconnect)."""

    def __init__(self, env: dict[str, str], port: int | None = None, threads: int = 32) -> None:
        self.env = env
        self.port = port or free_port()
        self.threads = threads
        self.process: subprocess.Popen | None = None
        self.log = Path(tempfile.mkstemp(prefix="faults-web-", suffix=".log")[1])

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> WebProcess:
        env = worker_env(self.env)
        env["FLASK_APP"] = "tests.support.hostapp:create_app"
        with open(self.log, "ab") as out:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "-k",
                    "gthread",
                    "--threads",
                    str(self.threads),
                    "-w",
                    "1",
                    "-b",
                    f"127.0.0.1:{self.port}",
                    "--graceful-timeout",
                    "2",
                    "--timeout",
                    "120",
                    "tests.support.hostapp:create_app()",
                ],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_port(self.port, 30)
        return self

    def kill(self) -> None:
        if self.process is not None:
            kill_tree(self.process)
            self.process = None


@dataclass
class Fleet:
    """Every process a test started; all of them are ended at teardown (by pid, never by name)."""

    env: dict[str, str]
    processes: list[subprocess.Popen] = field(default_factory=list)
    webs: list[WebProcess] = field(default_factory=list)

    def worker(self, *, with_scheduler: bool = False, burst: bool = False) -> subprocess.Popen:
        proc = start_worker(self.env, burst=burst, with_scheduler=with_scheduler)
        self.processes.append(proc)
        _drain(proc)
        return proc

    def scheduler(self) -> subprocess.Popen:
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "broadcasts", "scheduler"],
            cwd=ROOT,
            env=worker_env(self.env),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.processes.append(proc)
        _drain(proc)
        return proc

    def web(self, port: int | None = None, **kwargs: Any) -> WebProcess:
        web = WebProcess(self.env, port, **kwargs).start()
        self.webs.append(web)
        return web

    def output(self) -> str:
        """The first and last lines each process wrote (for failure reports)."""
        parts = []
        for proc in self.processes:
            parts.append(
                f"--- {' '.join(proc.args[2:])} (pid {proc.pid}, rc {proc.poll()})\n"
                + "".join(getattr(proc, "output_head", []))
                + "[...]\n"
                + "".join(getattr(proc, "output_tail", [])[-60:])
            )
        for web in self.webs:
            parts.append(f"--- web :{web.port}\n" + web.log.read_text(errors="replace")[-4000:])
        return "\n".join(parts)

    def stop_all(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                kill_tree(proc)
        for web in self.webs:
            web.kill()


def _drain(proc: subprocess.Popen) -> None:
    """Keep reading a child's output (a full pipe would block it); keep its start and its tail
    for failures (a periodic sweep's lines soon push out how the trouble began)."""
    head: list[str] = []
    tail: list[str] = []
    proc.output_head = head  # type: ignore[attr-defined]
    proc.output_tail = tail  # type: ignore[attr-defined]

    def pump() -> None:
        assert proc.stdout is not None
        for line in proc.stdout:
            text = line.decode(errors="replace")
            if len(head) < 60:
                head.append(text)
                continue
            tail.append(text)
            del tail[:-200]

    threading.Thread(target=pump, daemon=True).start()


def horse_of(worker: subprocess.Popen, timeout: float = 30) -> psutil.Process:
    """The work-horse of an RQ worker, once it has one: the child that made itself a process
    group leader (RQ's ``fork_work_horse`` calls ``os.setpgrp()``; its scheduler child does not)."""

    def find() -> psutil.Process | None:
        try:
            children = psutil.Process(worker.pid).children()
        except psutil.NoSuchProcess:
            return None
        for child in children:
            try:
                if os.getpgid(child.pid) == child.pid:
                    return child
            except ProcessLookupError:
                continue
        return None

    return wait_until(find, timeout, what="a work-horse")


# -- counting -------------------------------------------------------------------------------


@dataclass
class Tally:
    """Each expected address: delivered once, duplicated, lost, or in doubt (``outcome_unknown``)."""

    expected: int
    once: int
    duplicated: int
    lost: int
    in_doubt: int
    lost_addresses: list[str]
    duplicated_addresses: list[str]

    @classmethod
    def count(cls, smtp: Any, expected: set[str], campaign_id: int | None = None) -> Tally:
        from flask_broadcasts.models import BroadcastMessage
        from tests.support.hostapp import db

        received = Counter(smtp.recipients())
        db.session.rollback()
        where = [BroadcastMessage.error == "outcome_unknown"]
        if campaign_id is not None:
            where.append(BroadcastMessage.campaign_id == campaign_id)
        unknown = set(db.session.execute(sa.select(BroadcastMessage.email).where(*where)).scalars())
        db.session.rollback()
        duplicated = sorted(a for a, c in received.items() if c > 1)
        lost = sorted(a for a in expected if received[a] == 0 and a not in unknown)
        return cls(
            expected=len(expected),
            once=sum(1 for a in expected if received[a] == 1),
            duplicated=sum(c - 1 for c in received.values() if c > 1),
            lost=len(lost),
            in_doubt=len(unknown),
            lost_addresses=lost[:10],
            duplicated_addresses=duplicated[:10],
        )

    def figures(self) -> dict[str, Any]:
        return {
            "N": self.expected,
            "once": self.once,
            "duplicated": self.duplicated,
            "lost": self.lost,
            "in_doubt": self.in_doubt,
        }


def addresses(n: int) -> set[str]:
    """The addresses ``tests.support.fixtures.seed_customers(n)`` gives the customers."""
    return {f"c{i}@example.test" for i in range(1, n + 1)}


# -- SMTP outages ---------------------------------------------------------------------------


class Smtp421:
    """Listens on a port and answers every connection with ``421`` (service not available)."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.connections = 0
        #: ``time.monotonic()`` of each connection, in order.
        self.connected_at: list[float] = []
        self._sock = socket.socket()
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", port))
        self._sock.listen(64)
        self._sock.settimeout(0.2)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except OSError:
                continue
            self.connections += 1
            self.connected_at.append(time.monotonic())
            with conn:
                try:
                    conn.sendall(b"421 4.3.2 Service not available, try again later\r\n")
                except OSError:
                    pass

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(5)
        self._sock.close()


# -- API and websocket clients --------------------------------------------------------------

#: Organization → the Bearer token of its member (the host app's tokens, the other way round).
TOKENS = {organization: token for token, organization in hostapp.TOKENS.items()}


class LiveView:
    """A dashboard's view of one campaign: websocket events, re-read over HTTP on every (re)connect.

    The client protocol the realtime docs describe: open the socket (a ``101`` means the
    subscription is live), *then* read the campaign, then apply events. Progress only grows,
    so the view keeps the most advanced state it saw (counts, then a final status).
    """

    def __init__(self, base: str, organization_id: str, campaign_id: int) -> None:
        self.base = base
        self.organization_id = organization_id
        self.campaign_id = campaign_id
        self.state: dict[str, Any] = {}
        self.connects = 0
        self.events = 0
        self.disconnected_at: float | None = None
        self.reconnect_seconds: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> LiveView:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(10)

    def _apply(self, attributes: dict[str, Any]) -> None:
        def rank(a: dict[str, Any]) -> tuple[int, int]:
            return (a.get("sent_count", 0) + a.get("failed_count", 0), a.get("status") == "completed")

        if not self.state or rank(attributes) >= rank(self.state):
            self.state = dict(attributes)

    def _read(self) -> None:
        import requests

        response = requests.get(
            f"{self.base}/api/broadcast-campaigns/{self.campaign_id}",
            params={"o": self.organization_id},
            headers={"Authorization": f"Bearer {TOKENS[self.organization_id]}"},
            timeout=10,
        )
        response.raise_for_status()
        self._apply(response.json()["data"]["attributes"])

    def _run(self) -> None:
        import json

        import websocket

        url = (
            self.base.replace("http://", "ws://")
            + f"/api/broadcast-events?o={self.organization_id}&campaign={self.campaign_id}"
        )
        while not self._stop.is_set():
            try:
                ws = websocket.create_connection(
                    url, timeout=5, header=[f"Authorization: Bearer {TOKENS[self.organization_id]}"]
                )
            except Exception:
                if self.disconnected_at is None:
                    self.disconnected_at = time.monotonic()
                time.sleep(0.2)
                continue
            self.connects += 1
            if self.disconnected_at is not None:
                self.reconnect_seconds.append(time.monotonic() - self.disconnected_at)
                self.disconnected_at = None
            try:
                self._read()
                ws.settimeout(0.5)
                while not self._stop.is_set():
                    try:
                        text = ws.recv()
                    except websocket.WebSocketTimeoutException:
                        continue
                    if not text:
                        raise ConnectionError("closed")
                    document = json.loads(text)
                    if document["data"]["id"] == str(self.campaign_id):
                        self.events += 1
                        self._apply(document["data"]["attributes"])
            except Exception:
                if self.disconnected_at is None and not self._stop.is_set():
                    self.disconnected_at = time.monotonic()
            finally:
                try:
                    ws.close()
                except Exception:
                    pass
