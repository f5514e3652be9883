"""flask_broadcasts.channels.sms.send: one message's SMS, against the Twilio stand-in on loopback.

What a user relies on: the gateway gets the number in E.164, the text and the status-callback
URL; a number that cannot get an SMS, or an empty text, fails that message alone with its reason
and never reaches the gateway; a gateway's refusal is a refused outcome (marked opted out for
Twilio's 21610 only); a rate limit raises (retry later) and a lost answer raises (never resend)."""

from __future__ import annotations

import pytest

from flask_broadcasts.channels.sms.base import SmsOutcomeUnknown, SmsTransientError
from flask_broadcasts.channels.sms.send import SmsOutcome, send_sms
from flask_broadcasts.channels.sms.twilio_provider import TwilioSmsProvider
from tests.support.twilio import (
    ACCOUNT_SID,
    AUTH_TOKEN,
    INVALID_TO,
    OPTED_OUT_TO,
    RATE_LIMITED_TO,
    SENDER,
    SERVER_ERROR_TO,
)

CALLBACK = "https://app.example.com/api/broadcast-callbacks/twilio"


@pytest.fixture
def twilio(twilio_standin) -> TwilioSmsProvider:
    return TwilioSmsProvider(account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER, base_url=twilio_standin.url)


def test_the_gateway_gets_the_e164_number_the_text_and_the_callback(twilio, twilio_standin) -> None:
    outcome = send_sms(twilio, "+1 (415) 555-2671", "Sale ends tonight", status_callback=CALLBACK)
    assert outcome == SmsOutcome(accepted=True, provider_message_id=outcome.provider_message_id)
    assert outcome.provider_message_id.startswith("SM")
    (request,) = twilio_standin.requests
    assert request["form"]["To"] == "+14155552671"
    assert (request["form"]["Body"], request["form"]["StatusCallback"]) == ("Sale ends tonight", CALLBACK)


@pytest.mark.parametrize(
    ("mobile", "body", "reason"),
    [
        ("06 12 34 56 78", "Hi", "invalid_mobile: not in international E.164 form"),
        (None, "Hi", "invalid_mobile: no mobile number"),
        ("+33 1 45 67 89 01", "Hi", "invalid_mobile: a fixed-line number"),
        ("+14155552671", None, "empty_body: "),
        ("+14155552671", " \n ", "empty_body: "),
    ],
)
def test_what_cannot_be_sent_fails_alone_and_never_reaches_the_gateway(
    twilio, twilio_standin, mobile, body, reason
) -> None:
    outcome = send_sms(twilio, mobile, body, status_callback=None)
    assert (outcome.accepted, outcome.provider_message_id, outcome.opted_out) == (False, None, False)
    assert outcome.reason.startswith(reason)
    assert twilio_standin.requests == []


def test_a_gateway_refusal_is_refused_and_only_a_stop_is_opted_out(twilio) -> None:
    invalid = send_sms(twilio, INVALID_TO, "Hi", status_callback=None)
    stopped = send_sms(twilio, OPTED_OUT_TO, "Hi", status_callback=None)
    assert (invalid.accepted, invalid.opted_out) == (False, False)
    assert invalid.reason.startswith("twilio 21211: Invalid 'To' Phone Number")
    assert (stopped.accepted, stopped.opted_out) == (False, True)
    assert stopped.reason == "twilio 21610: Attempt to send to unsubscribed recipient"


def test_a_rate_limit_and_a_lost_answer_are_raised_not_refused(twilio, twilio_standin) -> None:
    with pytest.raises(SmsTransientError, match="twilio 20429"):
        send_sms(twilio, RATE_LIMITED_TO, "Hi", status_callback=None)
    with pytest.raises(SmsOutcomeUnknown, match="twilio 20500"):
        send_sms(twilio, SERVER_ERROR_TO, "Hi", status_callback=None)
    assert len(twilio_standin.requests) == 2
