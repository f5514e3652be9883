"""Configuration from the environment: strict booleans and integers, URLs, SQLite pragmas, every
``BROADCASTS_*`` setting by its own name (JSON-decoded)."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import text

from example_app import create_app
from example_app.config import (
    ConfigError,
    from_environ,
    normalize_database_url,
    parse_bool,
    parse_int,
    parse_setting,
    secret_key,
)
from example_app.extensions import db
from flask_broadcasts import get_state
from tests.support.example_host import make_app


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("1", True),
        ("yes", True),
        ("TRUE", True),
        ("On", True),
        ("0", False),
        ("no", False),
        ("False", False),
        ("OFF", False),
        (" true ", True),
    ],
)
def test_parse_bool(raw: str, expected: bool) -> None:
    assert parse_bool("MAIL_USE_TLS", raw) is expected


@pytest.mark.parametrize("raw", ["", "maybe", "2", "tru"])
def test_parse_bool_rejects_anything_else(raw: str) -> None:
    with pytest.raises(ConfigError, match="MAIL_USE_TLS must be one of"):
        parse_bool("MAIL_USE_TLS", raw)


def test_parse_int() -> None:
    assert parse_int("MAIL_PORT", "587") == 587
    assert parse_int("MAIL_PORT", 25) == 25
    with pytest.raises(ConfigError, match="MAIL_PORT must be an integer, not 'smtp'"):
        parse_int("MAIL_PORT", "smtp")


def test_defaults(tmp_path: Path) -> None:
    config = from_environ(tmp_path, {})
    assert config["SQLALCHEMY_DATABASE_URI"] == f"sqlite:///{tmp_path / 'example_app.db'}"
    assert (config["MAIL_SERVER"], config["MAIL_PORT"]) == ("localhost", 8025)
    assert config["MAIL_USE_TLS"] is False and config["MAIL_USE_SSL"] is False
    assert config["MAIL_DEFAULT_SENDER"] == "broadcasts@example.com"
    assert config["MAIL_USERNAME"] is None
    # The app factory decides these (key file, embedded Redis).
    assert "REDIS_URL" not in config and "SECRET_KEY" not in config


def test_generated_secret_key_is_kept(tmp_path: Path) -> None:
    # Every process of one install must sign alike.
    key = secret_key(tmp_path)
    assert len(key) == 64 and secret_key(tmp_path) == key


def test_environment_values(tmp_path: Path) -> None:
    config = from_environ(
        tmp_path,
        {
            "DATABASE_URL": "postgres://u:p@db:5432/app",
            "MAIL_PORT": "2525",
            "MAIL_USE_TLS": "yes",
            "MAIL_USE_SSL": "0",
            "REDIS_URL": "redis://cache:6379/1",
            "MAIL_USERNAME": "me",
        },
    )
    assert config["SQLALCHEMY_DATABASE_URI"] == "postgresql+psycopg://u:p@db:5432/app"
    assert config["MAIL_PORT"] == 2525
    assert config["MAIL_USE_TLS"] is True and config["MAIL_USE_SSL"] is False
    assert config["REDIS_URL"] == "redis://cache:6379/1"
    assert config["MAIL_USERNAME"] == "me"
    with pytest.raises(ConfigError, match="exclusive"):
        from_environ(tmp_path, {"MAIL_USE_TLS": "1", "MAIL_USE_SSL": "1"})


def test_normalize_database_url() -> None:
    assert normalize_database_url("postgresql://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("postgres://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("postgresql+psycopg://h/db") == "postgresql+psycopg://h/db"
    assert normalize_database_url("sqlite:///x.db") == "sqlite:///x.db"


def test_create_app_reads_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("MAIL_USE_TLS", "false")
    monkeypatch.setenv("MAIL_PORT", "587")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SECRET_KEY", "test")
    app = create_app({"SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'x.db'}"})
    assert app.config["MAIL_USE_TLS"] is False
    assert app.config["MAIL_PORT"] == 587
    assert app.config["REDIS_URL"] == "redis://127.0.0.1:6379/15"
    assert "mail" in app.extensions and "broadcasts" in app.extensions
    # Overrides win over the environment.
    assert create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://", "MAIL_PORT": 1025}).config["MAIL_PORT"] == 1025


def test_a_bad_value_fails_at_startup(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAIL_USE_SSL", "sometimes")
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/15")
    monkeypatch.setenv("SECRET_KEY", "test")
    with pytest.raises(ConfigError, match="MAIL_USE_SSL"):
        create_app({"SQLALCHEMY_DATABASE_URI": "sqlite://"})


def test_sqlite_connections_use_wal_and_a_busy_timeout(app: Flask) -> None:
    if db.engine.dialect.name != "sqlite":
        pytest.skip("SQLite only")
    with db.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 5000


def test_queue_and_event_channels_come_from_the_environment(tmp_path: Path) -> None:
    config = from_environ(tmp_path, {"BROADCASTS_QUEUE": "q-1", "BROADCASTS_EVENT_CHANNEL_PREFIX": "run-1:org:"})
    assert (config["BROADCASTS_QUEUE"], config["BROADCASTS_EVENT_CHANNEL_PREFIX"]) == ("q-1", "run-1:org:")
    assert "BROADCASTS_QUEUE" not in from_environ(tmp_path, {})  # the extension's default applies


def test_every_setting_can_come_from_the_environment_typed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    environment = {
        "BROADCASTS_RETRY_MAX": "1",
        "BROADCASTS_CLAIM_TTL": "2.5",
        "BROADCASTS_SYNCHRONOUS_RECORDS": "true",
        "BROADCASTS_RETRY_INTERVALS": "[1, 2]",
        "BROADCASTS_COUNTER_FLUSH": "null",
        "BROADCASTS_API_VERSION": "2.0",  # a text setting stays the text written
        "BROADCASTS_FILE_STORAGE": "example_app.storage:make",  # not JSON: stays a string
        "BROADCASTS_API_SPEC_OPTIONS": '{"servers": [{"url": "https://app.example.com"}]}',
    }
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    assert from_environ(tmp_path)["BROADCASTS_FILE_STORAGE"] == "example_app.storage:make"
    monkeypatch.delenv("BROADCASTS_FILE_STORAGE")  # (no such factory: the app would refuse it)

    app = make_app(f"sqlite:///{tmp_path / 'env.db'}")
    settings = get_state(app).settings
    assert settings.retry_max == 1 and settings.claim_ttl == 2.5 and settings.synchronous_records is True
    assert list(settings.retry_intervals) == [1, 2] and settings.counter_flush is None
    assert settings.api_version == "2.0"
    document = app.test_client().get("/api/broadcasts-docs/openapi.json").get_json()
    assert document["servers"] == [{"url": "https://app.example.com"}] and document["info"]["version"] == "2.0"


@pytest.mark.parametrize(
    ("name", "value"),
    [("BROADCASTS_RETRY_MAX", "ten"), ("BROADCASTS_RETRY_MAX", "true"), ("BROADCASTS_SYNCHRONOUS_RECORDS", "yes")],
)
def test_a_setting_of_the_wrong_type_fails_at_startup(tmp_path: Path, name: str, value: str) -> None:
    with pytest.raises(ConfigError, match=name):
        from_environ(tmp_path, {name: value})


def test_settings_json_decoding(tmp_path: Path) -> None:
    # Any setting without a declared type (flask-smorest's, a newer one) is JSON when it parses.
    assert parse_setting("BROADCASTS_RATE_LIMITS", '{"mail": 50}') == {"mail": 50}
    assert parse_setting("BROADCASTS_OPENAPI_SWAGGER_UI_PATH", "swagger-ui") == "swagger-ui"
    assert parse_setting("BROADCASTS_QUEUE", "123") == "123"  # a queue name, not a number
    assert "BROADCASTS_RETRY_MAX" not in from_environ(tmp_path, {"BROADCASTS_RETRY_MAX": ""})
