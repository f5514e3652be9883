"""Fixtures of the feedback tests: a fresh app of the small host per test on its migrated tables, with
every provider's key configured (the test's own keys) and SNS's fetch replaced by a stand-in."""

from __future__ import annotations

from typing import Any

import pytest
from flask import Flask

from flask_broadcasts.state import get_state
from tests.support.feedback import MAILGUN_KEY, POSTMARK_PASSWORD, POSTMARK_USER, TOPIC_ARN, SendGridSigner, SnsSigner
from tests.support.host import make_app as make_host_app


@pytest.fixture
def sns() -> SnsSigner:
    return SnsSigner()


@pytest.fixture(scope="session")
def sendgrid_signer() -> SendGridSigner:
    return SendGridSigner()


@pytest.fixture
def make_app(host_database, tmp_path, sns, sendgrid_signer):
    """``make_app(**config)`` → the host with the providers' keys and ``config``."""
    database_uri = host_database.for_test(tmp_path, "feedback.db")

    def factory(**config: Any) -> Flask:
        app = make_host_app(
            database_uri,
            **{
                "SECRET_KEY": "feedback-tests-secret",
                "BROADCASTS_SES_TOPIC_ARNS": [TOPIC_ARN],
                "BROADCASTS_SENDGRID_PUBLIC_KEY": sendgrid_signer.public_key,
                "BROADCASTS_POSTMARK_WEBHOOK_USERNAME": POSTMARK_USER,
                "BROADCASTS_POSTMARK_WEBHOOK_PASSWORD": POSTMARK_PASSWORD,
                "BROADCASTS_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
                # SMS at any hour: these tests are not about quiet hours (see tests/support/hostapp.py).
                "BROADCASTS_SMS_DEFAULT_WINDOW": None,
                **config,
            },
        )
        get_state(app).sns_fetch = sns.fetch
        return app

    return factory


@pytest.fixture
def app(make_app) -> Flask:
    return make_app()
