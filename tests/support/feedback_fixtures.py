"""Fixtures of the feedback tests: a fresh app per test on the extension's migrated tables, with
every provider's key configured (the test's own keys) and SNS's fetch replaced by a stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts
from flask_broadcasts.state import get_state
from tests.support.feedback import MAILGUN_KEY, POSTMARK_PASSWORD, POSTMARK_USER, TOPIC_ARN, SendGridSigner, SnsSigner


@pytest.fixture
def sns() -> SnsSigner:
    return SnsSigner()


@pytest.fixture(scope="session")
def sendgrid_signer() -> SendGridSigner:
    return SendGridSigner()


@pytest.fixture
def make_app(extension_database, tmp_path, sns, sendgrid_signer):
    """``make_app(**config)`` → an app with the extension, its tables and the providers' keys."""
    database_uri = extension_database.for_test(tmp_path, "feedback.db")

    def factory(**config: Any) -> Flask:
        app = Flask("feedback_tests")
        app.config.update(
            {
                "TESTING": True,
                "SECRET_KEY": "feedback-tests-secret",
                "SQLALCHEMY_DATABASE_URI": database_uri,
                "BROADCASTS_SES_TOPIC_ARNS": [TOPIC_ARN],
                "BROADCASTS_SENDGRID_PUBLIC_KEY": sendgrid_signer.public_key,
                "BROADCASTS_POSTMARK_WEBHOOK_USERNAME": POSTMARK_USER,
                "BROADCASTS_POSTMARK_WEBHOOK_PASSWORD": POSTMARK_PASSWORD,
                "BROADCASTS_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
                # SMS at any hour: these tests are not about quiet hours (see tests/support/hostapp.py).
                "BROADCASTS_SMS_DEFAULT_WINDOW": None,
                **config,
            }
        )
        db = SQLAlchemy(app)
        Broadcasts(app, db=db)
        get_state(app).sns_fetch = sns.fetch
        return app

    return factory


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()
