"""Fixtures of the SMS tests: a fresh app per test on the extension's migrated tables
(``tests/support/database.py``), and the Twilio stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioStandIn, start_standin


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandIn]:
    standin, server = start_standin()
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_app(extension_database, tmp_path):
    """An app factory: ``make_app(**config)`` → an app with the extension and its tables."""
    database_uri = extension_database.for_test(tmp_path, "sms.db")

    def factory(**config: Any) -> Flask:
        app = Flask("sms_tests")
        app.config.update(
            {
                "TESTING": True,
                "SQLALCHEMY_DATABASE_URI": database_uri,
                "BROADCASTS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "BROADCASTS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "BROADCASTS_TWILIO_FROM": SENDER,
                # SMS at any hour: these tests are not about quiet hours (see tests/support/hostapp.py).
                "BROADCASTS_SMS_DEFAULT_WINDOW": None,
                **config,
            }
        )
        db = SQLAlchemy(app)
        Broadcasts(app, db=db)
        return app

    return factory


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()
