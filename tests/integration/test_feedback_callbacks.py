"""flask_broadcasts.feedback_callbacks: the provider feedback webhooks (``ses``, ``sendgrid``,
``postmark``, ``mailgun``) on the plain blueprint.

A host relies on: a provider whose key is not configured being refused (401) with the reason
in its log, the four routes taking no CSRF token under Flask-WTF's ``CSRFProtect`` (providers
have none), and a report of a message it does not know answering 204 (the answer tells
nothing about which messages exist) under the events prefix. The small host with every
provider's key (tests/support/feedback_fixtures.py); each provider's parsing is tested in
tests/integration/feedback/.
"""

from __future__ import annotations

import json
import logging

import pytest

from tests.support import feedback_fixtures
from tests.support.feedback import feedback_rows, postmark_auth, postmark_delivery

# The small host with the providers' keys, a fresh one per test.
app, make_app, sns, sendgrid_signer = (
    feedback_fixtures.app,
    feedback_fixtures.make_app,
    feedback_fixtures.sns,
    feedback_fixtures.sendgrid_signer,
)

PROVIDERS = ("ses", "sendgrid", "postmark", "mailgun")
UNKNOWN = postmark_delivery("<no-such-message@example.test>", "ann@example.test")


def test_a_provider_without_its_key_is_refused_and_the_log_says_why(make_app, caplog: pytest.LogCaptureFixture):
    app = make_app(
        BROADCASTS_SES_TOPIC_ARNS=(),
        BROADCASTS_SENDGRID_PUBLIC_KEY=None,
        BROADCASTS_POSTMARK_WEBHOOK_PASSWORD=None,
        BROADCASTS_MAILGUN_SIGNING_KEY=None,
    )
    client = app.test_client()
    with caplog.at_level(logging.WARNING, logger="flask_broadcasts.feedback"):
        answers = {p: client.post(f"/api/broadcast-callbacks/{p}", data=b"{}").status_code for p in PROVIDERS}
    assert answers == dict.fromkeys(PROVIDERS, 401)
    # SES's missing topics show as a refused topic; the three keys as "not configured".
    for provider in ("sendgrid", "postmark", "mailgun"):
        assert f"{provider} callback refused" in caplog.text
    assert feedback_rows(app) == 0


def test_the_callbacks_take_no_csrf_token(app):
    from flask_wtf.csrf import CSRFProtect

    app.config.update(WTF_CSRF_ENABLED=True)
    CSRFProtect(app)  # after the extension: the views are exempted at the first request
    client = app.test_client()
    # CSRFProtect is on: another POST route of the plain blueprint is refused for want of a token.
    assert client.post("/api/broadcast-templates/1/files").status_code == 400
    answer = client.post("/api/broadcast-callbacks/postmark", data=json.dumps(UNKNOWN), headers=postmark_auth())
    assert answer.status_code == 204
    # Unsigned: refused by the provider's check (401), not by CSRFProtect's (400).
    assert {
        p: client.post(f"/api/broadcast-callbacks/{p}", data=b"{}").status_code for p in PROVIDERS
    } == dict.fromkeys(PROVIDERS, 401)


def test_a_report_of_an_unknown_message_is_204_under_the_events_prefix(make_app):
    app = make_app(BROADCASTS_EVENTS_URL_PREFIX="/hooks")
    client = app.test_client()
    answer = client.post("/hooks/broadcast-callbacks/postmark", data=json.dumps(UNKNOWN), headers=postmark_auth())
    assert (answer.status_code, answer.data) == (204, b"")
    assert client.post("/api/broadcast-callbacks/postmark", data=json.dumps(UNKNOWN)).status_code == 404
    assert feedback_rows(app) == 0
