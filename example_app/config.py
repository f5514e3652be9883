"""Configuration from the environment, parsed strictly so a typo fails at startup, not at send time."""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

TRUE_WORDS = frozenset({"1", "yes", "true", "on"})
FALSE_WORDS = frozenset({"0", "no", "false", "off"})
#: Milliseconds a SQLite connection waits for another process's write lock before failing.
SQLITE_BUSY_TIMEOUT_MS = 5000
DATABASE_FILENAME = "example_app.db"


class ConfigError(ValueError):
    """An environment variable holds a value the app cannot use."""


def parse_bool(name: str, value: str | bool) -> bool:
    """``0/1/yes/no/true/false/on/off`` (any case) as a bool; anything else raises :class:`ConfigError`."""
    if isinstance(value, bool):
        return value
    word = value.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ConfigError(f"{name} must be one of 0/1/yes/no/true/false/on/off, not {value!r}.")


def parse_int(name: str, value: str | int) -> int:
    """An integer, or :class:`ConfigError` naming the variable."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    try:
        return int(str(value).strip())
    except ValueError:
        raise ConfigError(f"{name} must be an integer, not {value!r}.") from None


def normalize_database_url(url: str) -> str:
    """Point bare PostgreSQL URLs (as hosting platforms hand them out) at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url.removeprefix(prefix)
    return url


def default_database_url(instance_path: str | os.PathLike[str]) -> str:
    return f"sqlite:///{Path(instance_path) / DATABASE_FILENAME}"


def secret_key(instance_path: str | os.PathLike[str]) -> str:
    """A key kept in the instance folder, so every process of one install signs alike."""
    path = Path(instance_path) / "secret_key"
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        key = secrets.token_hex(32)
        # Exclusive create: when two processes race, the loser reads the winner's key.
        try:
            with open(path, "x") as file:
                file.write(key)
        except FileExistsError:
            return path.read_text().strip()
        return key


def from_environ(instance_path: str | os.PathLike[str], environ: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The app config read from ``environ`` (default: ``os.environ``).

    ``SECRET_KEY`` and ``REDIS_URL`` are only included when set: their defaults (a key
    file in the instance folder, an embedded Redis) are made by the app factory once it
    knows no one overrides them.
    """
    env = os.environ if environ is None else environ
    config: dict[str, Any] = {
        "SQLALCHEMY_DATABASE_URI": normalize_database_url(
            env.get("DATABASE_URL") or default_database_url(instance_path)
        ),
        "MAIL_SERVER": env.get("MAIL_SERVER", "localhost"),
        "MAIL_PORT": parse_int("MAIL_PORT", env.get("MAIL_PORT", "8025")),
        "MAIL_USE_TLS": parse_bool("MAIL_USE_TLS", env.get("MAIL_USE_TLS", "false")),
        "MAIL_USE_SSL": parse_bool("MAIL_USE_SSL", env.get("MAIL_USE_SSL", "false")),
        "MAIL_USERNAME": env.get("MAIL_USERNAME") or None,
        "MAIL_PASSWORD": env.get("MAIL_PASSWORD") or None,
        "MAIL_DEFAULT_SENDER": env.get("MAIL_DEFAULT_SENDER", "broadcasts@example.com"),
    }
    # Both have defaults with side effects (a key file, a Redis server); the app factory
    # applies them only when neither the environment nor its caller provides a value.
    for key in ("SECRET_KEY", "REDIS_URL"):
        if env.get(key):
            config[key] = env[key]
    # Installs (or test runs) sharing one Redis keep apart by queue and event channels.
    for key in ("BROADCASTS_QUEUE", "BROADCASTS_EVENT_CHANNEL_PREFIX"):
        if env.get(key):
            config[key] = env[key]
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL are exclusive: STARTTLS or implicit TLS, not both.")
    return config


def _sqlite_pragmas(dbapi_connection: Any, connection_record: Any) -> None:
    # WAL lets readers (web) and a writer (worker) work at once; the busy timeout makes a
    # second writer wait for the lock instead of failing with "database is locked".
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    finally:
        cursor.close()


def configure_engine(engine: Engine) -> None:
    """Set SQLite's pragmas on every new connection of ``engine`` (no-op for other databases)."""
    if engine.dialect.name == "sqlite" and not event.contains(engine, "connect", _sqlite_pragmas):
        event.listen(engine, "connect", _sqlite_pragmas)
