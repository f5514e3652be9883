"""Tests of flask_broadcasts.channels.sms.twilio_provider.

TwilioSmsProvider against a loopback stand-in of Twilio's Messages API."""

from __future__ import annotations

import socket

import pytest

from flask_broadcasts.channels.sms import (
    SmsConfigurationError,
    SmsOptedOut,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsTransientError,
    TwilioSmsProvider,
)
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_TO,
    OPTED_OUT_TO,
    RATE_LIMITED_TO,
    SENDER,
    SERVER_ERROR_TO,
    SLOW_TO,
    UNAVAILABLE_TO,
)

CALLBACK = "https://app.example.com/api/broadcast-callbacks/twilio"


def provider(standin, **options) -> TwilioSmsProvider:
    options.setdefault("from_", SENDER)
    return TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, base_url=standin.url, **options)


def test_sends_what_twilio_expects(twilio_standin):
    result = provider(twilio_standin).send("+14155552671", "Hi Ada, see you ✓", status_callback=CALLBACK)

    [request] = twilio_standin.requests
    assert request["path"] == f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
    assert (request["user"], request["password"]) == (ACCOUNT_SID, AUTH_TOKEN)
    assert request["form"] == {
        "To": "+14155552671",
        "From": SENDER,
        "Body": "Hi Ada, see you ✓",
        "StatusCallback": CALLBACK,
    }
    assert result.provider_message_id.startswith("SM")
    assert result.status == "queued"
    assert result.raw["sid"] == result.provider_message_id


def test_messaging_service_replaces_the_sender(twilio_standin):
    result = provider(twilio_standin, from_=None, messaging_service_sid="MG" + "1" * 32).send(
        "+14155552671", "Hi", status_callback=None
    )

    form = twilio_standin.requests[0]["form"]
    assert form["MessagingServiceSid"] == "MG" + "1" * 32
    assert "From" not in form and "StatusCallback" not in form
    assert result.status == "accepted"


def test_invalid_number_is_permanent_with_twilio_code(twilio_standin):
    with pytest.raises(SmsPermanentError) as raised:
        provider(twilio_standin).send(INVALID_TO, "Hi")
    assert raised.value.reason.startswith("twilio 21211: Invalid 'To' Phone Number")
    assert not isinstance(raised.value, SmsTransientError)


def test_21610_says_the_recipient_opted_out(twilio_standin):
    with pytest.raises(SmsOptedOut) as raised:
        provider(twilio_standin).send(OPTED_OUT_TO, "Hi")
    assert raised.value.reason.startswith("twilio 21610: Attempt to send to unsubscribed recipient")
    assert isinstance(raised.value, SmsPermanentError)
    # Another refusal about the recipient is not an opt-out.
    with pytest.raises(SmsPermanentError) as other:
        provider(twilio_standin).send(INVALID_TO, "Hi")
    assert not isinstance(other.value, SmsOptedOut)


@pytest.mark.parametrize("to", [RATE_LIMITED_TO, UNAVAILABLE_TO])
def test_rate_limit_and_unavailable_are_transient(twilio_standin, to):
    with pytest.raises(SmsTransientError):
        provider(twilio_standin).send(to, "Hi")


def test_rejected_credentials_wait_for_a_fix_instead_of_failing_everyone(twilio_standin):
    bad = TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token="wrong", from_=SENDER, base_url=twilio_standin.url)
    with pytest.raises(SmsConfigurationError) as raised:
        bad.send("+14155552671", "Hi")
    assert isinstance(raised.value, SmsTransientError)
    assert "20003" in raised.value.reason


def test_server_error_is_outcome_unknown(twilio_standin):
    with pytest.raises(SmsOutcomeUnknown):
        provider(twilio_standin).send(SERVER_ERROR_TO, "Hi")


def test_lost_answer_is_outcome_unknown(twilio_standin):
    twilio_standin.slow_seconds = 1.5
    with pytest.raises(SmsOutcomeUnknown):
        provider(twilio_standin, timeout=0.3).send(SLOW_TO, "Hi")
    assert len(twilio_standin.requests) == 1  # it did reach "Twilio"


def test_unreachable_gateway_is_transient():
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    unreachable = TwilioSmsProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER, base_url=f"http://127.0.0.1:{port}"
    )
    with pytest.raises(SmsTransientError):
        unreachable.send("+14155552671", "Hi")


def test_needs_a_sender_or_a_service():
    with pytest.raises(ValueError, match="FROM or BROADCASTS_TWILIO_MESSAGING_SERVICE_SID"):
        TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN)
