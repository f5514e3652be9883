"""send_sms: E.164 validation fails a message alone; provider choice and the callback URL."""

from __future__ import annotations

import pytest

from flask_broadcasts import get_state
from flask_broadcasts.channels.sms import (
    InvalidMobile,
    LoggingSmsProvider,
    SmsTransientError,
    TwilioSmsProvider,
    get_sms_provider,
    send_sms,
    status_callback_url,
    to_e164,
)
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, RATE_LIMITED_TO, SENDER


@pytest.mark.parametrize(
    ("mobile", "expected"),
    [("+33 6 12 34 56 78", "+33612345678"), ("+1 (415) 555-2671", "+14155552671"), ("+14155552671", "+14155552671")],
)
def test_international_numbers_are_normalized(mobile, expected):
    assert to_e164(mobile) == expected


@pytest.mark.parametrize(
    ("mobile", "why"),
    [
        (None, "no mobile number"),
        ("", "no mobile number"),
        ("0612345678", "international"),
        ("+1234", "not a valid number"),
        ("+33 1 45 67 89 01", "fixed-line"),
        ("call me", "international"),
        ("+abc", "not a phone number"),
    ],
)
def test_invalid_numbers_are_refused_with_a_reason(mobile, why):
    with pytest.raises(InvalidMobile) as raised:
        to_e164(mobile)
    assert raised.value.reason.startswith("invalid_mobile: ")
    assert why in raised.value.reason


def test_invalid_numbers_fail_alone_and_never_reach_the_gateway(twilio_standin):
    twilio = TwilioSmsProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER, base_url=twilio_standin.url
    )
    outcomes = [
        send_sms(twilio, mobile, "Hi", status_callback=None)
        for mobile in ("+14155552671", "0612345678", "+33 6 12 34 56 78", "+1234")
    ]

    assert [o.accepted for o in outcomes] == [True, False, True, False]
    assert outcomes[1].reason.startswith("invalid_mobile:") and outcomes[3].reason.startswith("invalid_mobile:")
    assert [r["form"]["To"] for r in twilio_standin.requests] == ["+14155552671", "+33612345678"]
    assert outcomes[0].provider_message_id.startswith("SM")


def test_a_gateway_refusal_is_a_refused_outcome_and_transient_errors_propagate(twilio_standin):
    twilio = TwilioSmsProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER, base_url=twilio_standin.url
    )
    refused = send_sms(twilio, "+15005550001", "Hi", status_callback=None)
    assert not refused.accepted and refused.reason.startswith("twilio 21211")
    with pytest.raises(SmsTransientError):
        send_sms(twilio, RATE_LIMITED_TO, "Hi", status_callback=None)


def test_empty_body_is_refused():
    outcome = send_sms(LoggingSmsProvider(), "+14155552671", "  ", status_callback=None)
    assert not outcome.accepted and outcome.reason.startswith("empty_body")


def test_logging_provider_is_the_default_and_sends_nothing(app):
    import logging

    class Keep(logging.Handler):
        def __init__(self) -> None:
            super().__init__(logging.INFO)
            self.lines: list[str] = []

        def emit(self, record: logging.LogRecord) -> None:
            self.lines.append(record.getMessage())

    # Our own handler: other tests' logging configuration may stop propagation to caplog.
    logger, keep = logging.getLogger("flask_broadcasts.sms"), Keep()
    saved = (logger.level, logger.disabled)
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    try:
        with app.app_context():
            provider = get_sms_provider()
            assert isinstance(provider, LoggingSmsProvider)
            assert get_sms_provider() is provider
            result = provider.send("+14155552671", "Hi")
    finally:
        logger.removeHandler(keep)
        logger.level, logger.disabled = saved
    assert result.provider_message_id.startswith("dev-")
    assert any("not sent, logging provider" in line for line in keep.lines)


def test_twilio_is_built_from_settings(make_app, twilio_standin):
    app = make_app(BROADCASTS_SMS_PROVIDER="twilio", BROADCASTS_TWILIO_BASE_URL=twilio_standin.url)
    with app.app_context():
        provider = get_sms_provider()
        assert isinstance(provider, TwilioSmsProvider)
        provider.send("+14155552671", "Hi")
    assert twilio_standin.requests[0]["form"]["From"] == SENDER


def test_a_host_provider_wins_over_the_setting(make_app):
    app = make_app(BROADCASTS_SMS_PROVIDER="twilio")
    mine = LoggingSmsProvider(sent=[])
    get_state(app).extension.use_sms_provider(mine)
    with app.app_context():
        assert get_sms_provider() is mine


def test_unknown_provider_name_is_a_clear_error_at_init_app(make_app):
    # Built in init_app: a misconfigured worker fails when it starts, not in the middle of a campaign.
    with pytest.raises(ValueError, match="use 'logging' or 'twilio'"):
        make_app(BROADCASTS_SMS_PROVIDER="carrier-pigeon")


def test_status_callback_url_needs_a_public_url(make_app):
    twilio = TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER)
    app = make_app(BROADCASTS_PUBLIC_URL="https://app.example.com/", BROADCASTS_URL_PREFIX="/api")
    assert status_callback_url(get_state(app), twilio) == "https://app.example.com/api/broadcast-callbacks/twilio"
    assert status_callback_url(get_state(app), LoggingSmsProvider()) is None
    assert status_callback_url(get_state(make_app()), twilio) is None
