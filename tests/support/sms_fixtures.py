"""Fixtures of the SMS tests: a fresh app of the small host (``tests/support/host.py``) per
test on its migrated tables (``tests/support/database.py``), and the Twilio stand-in."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from tests.support.host import make_app as make_host_app
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER, TwilioStandIn, start_standin


@pytest.fixture
def twilio_standin() -> Iterator[TwilioStandIn]:
    standin, server = start_standin()
    yield standin
    server.shutdown()
    server.server_close()


@pytest.fixture
def make_app(host_database, tmp_path):
    """An app factory: ``make_app(**config)`` → the host with Twilio's settings and ``config``."""
    database_uri = host_database.for_test(tmp_path, "sms.db")

    def factory(**config: Any) -> Flask:
        return make_host_app(
            database_uri,
            **{
                "BROADCASTS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
                "BROADCASTS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
                "BROADCASTS_TWILIO_FROM": SENDER,
                # No public URL unless a test sets one: Twilio signs the URL it called, the test client's.
                "BROADCASTS_PUBLIC_URL": None,
                # SMS at any hour: these tests are not about quiet hours (see tests/support/hostapp.py).
                "BROADCASTS_SMS_DEFAULT_WINDOW": None,
                **config,
            },
        )

    return factory


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()
