"""Configuration from the environment, parsed strictly so a typo fails at startup, not at send time."""

from __future__ import annotations

import json
import os
import secrets
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.engine import Engine

from flask_broadcasts.config import PREFIX, SETTINGS, Settings

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


#: The settings whose value is text: taken as written (``BROADCASTS_API_VERSION=1.0`` stays "1.0").
_TEXT_TYPES = (str, str | None)
#: The settings that are numbers or flags: a value of another JSON type is refused at startup.
_SCALAR_TYPES: dict[Any, tuple[type, ...]] = {
    int: (int,),
    int | None: (int, type(None)),
    float: (int, float),
    float | None: (int, float, type(None)),
    bool: (bool,),
}


def parse_setting(name: str, value: str) -> Any:
    """The value of the ``BROADCASTS_*`` setting ``name`` from its environment variable.

    Text settings keep the string as written. The others are JSON-decoded when the string
    parses (``1`` is the int 1, ``{"mail": 50}`` a dict, ``[5, 30]`` a list, ``null`` None)
    and kept as the string otherwise (``package.module:factory``); a number or flag setting
    given anything else raises :class:`ConfigError`.
    """
    hint = _SETTING_TYPES.get(name, Any)
    if hint in _TEXT_TYPES:
        return value
    try:
        decoded = json.loads(value)
    except ValueError:
        decoded = value
    accepted = _SCALAR_TYPES.get(hint)
    if accepted is not None and (
        not isinstance(decoded, accepted) or (isinstance(decoded, bool) and bool not in accepted)
    ):
        raise ConfigError(f"{name} must be {_describe(hint)} (JSON), not {value!r}.")
    return decoded


def _describe(hint: Any) -> str:
    return {bool: "true or false", int: "an integer"}.get(
        hint, "a number" if hint in (float, float | None) else "an integer"
    )


_SETTING_TYPES: dict[str, Any] = {PREFIX + name.upper(): hint for name, hint in typing.get_type_hints(Settings).items()}


#: flask-smorest's settings of the extension's Api (``config_prefix="BROADCASTS_"``), not in SETTINGS.
OPENAPI_KEYS = tuple(
    PREFIX + key
    for key in (
        "OPENAPI_SWAGGER_UI_PATH",
        "OPENAPI_SWAGGER_UI_URL",
        "OPENAPI_SWAGGER_UI_CONFIG",
        "OPENAPI_REDOC_PATH",
        "OPENAPI_REDOC_URL",
        "OPENAPI_RAPIDOC_PATH",
        "OPENAPI_RAPIDOC_URL",
        "OPENAPI_RAPIDOC_CONFIG",
        "API_SPEC_OPTIONS",
        "ETAG_DISABLED",
    )
)


def settings_from_environ(environ: Mapping[str, str]) -> dict[str, Any]:
    """Every ``BROADCASTS_*`` setting (and flask-smorest's, :data:`OPENAPI_KEYS`) that ``environ``
    sets, under its exact name, decoded by :func:`parse_setting`; an empty variable counts as unset."""
    keys = [item.key for item in SETTINGS] + list(OPENAPI_KEYS)
    return {key: parse_setting(key, environ[key]) for key in keys if environ.get(key)}


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
    # Every extension setting, by its own name (installs sharing one Redis keep apart by
    # BROADCASTS_QUEUE and BROADCASTS_EVENT_CHANNEL_PREFIX, for instance).
    config.update(settings_from_environ(env))
    # E-mails carry an unsubscribe link built on the public URL: by default, the local web app
    # (``make run`` serves it on PORT). A deployment sets its own.
    config.setdefault("BROADCASTS_PUBLIC_URL", f"http://127.0.0.1:{env.get('PORT', '5000')}")
    # The operator dashboard of the extension (off unless set): the example product turns it on.
    config.setdefault("BROADCASTS_DASHBOARD_URL_PREFIX", "/dashboard")
    if config["MAIL_USE_TLS"] and config["MAIL_USE_SSL"]:
        raise ConfigError("MAIL_USE_TLS and MAIL_USE_SSL are exclusive: STARTTLS or implicit TLS, not both.")
    return config


def engine_options(database_url: str) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` for ``database_url``: a pool for every lane of a send job.

    The lanes (``BROADCASTS_MAIL_CONNECTIONS``, 8 by default) hold up to two pooled
    connections each: 10 + 10 overflow lets all 8 run; Flask-SQLAlchemy's 5 + 10 holds 7.
    SQLite sends over one lane and takes no pool options.
    """
    return {} if database_url.startswith("sqlite") else {"pool_size": 10, "max_overflow": 10}


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
