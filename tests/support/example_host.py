"""The example app as the host under test: ``create_app(config)`` with test settings."""

from __future__ import annotations

import os

from flask import Flask

from example_app import create_app

from .redis_dbs import for_this_worker

# The extension only connects to Redis when it needs queues; most tests never do.
TEST_REDIS_URL = for_this_worker(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/13"))


def make_app(database_uri: str, **overrides: object) -> Flask:
    """The example app on ``database_uri`` (already migrated), with test settings."""
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "REDIS_URL": TEST_REDIS_URL,
            "MAIL_SERVER": "localhost",
            "MAIL_PORT": 8025,
            "MAIL_DEFAULT_SENDER": "broadcasts@example.com",
            "BROADCASTS_PUBLIC_URL": "https://app.example.test",
            **overrides,
        }
    )
