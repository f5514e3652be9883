"""flask_broadcasts.channels.sms.channel: the SMS channel, against the Twilio stand-in on loopback.

What a user relies on: an accepted SMS is ``Sent`` with the gateway's id (what status callbacks
name); the message is recorded (``before_handover``) before the request goes out; an invalid
number is ``invalid_mobile``, a gateway refusal ``refused`` and a STOP ``suppressed``, each for
that message alone; a rate limit is a ``RetryLater`` with the gateway's wait, as is any error of
a host's own provider; an answer that was lost is an ``OutcomeUnknown`` (never resent)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from flask_broadcasts.channels.base import OutcomeUnknown, Refused, RetryLater, Sent
from flask_broadcasts.channels.sms.base import SmsResult
from flask_broadcasts.channels.sms.channel import SmsChannel
from flask_broadcasts.channels.sms.twilio_provider import TwilioSmsProvider
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, INVALID_TO, OPTED_OUT_TO, SENDER, SERVER_ERROR_TO

CALLBACK = "https://app.example.com/api/broadcast-callbacks/twilio"


def _message(mobile: str | None, text: str = "Hi") -> SimpleNamespace:
    return SimpleNamespace(id=1, mobile=mobile, body_short=text)


@pytest.fixture
def channel(twilio_standin) -> SmsChannel:
    twilio = TwilioSmsProvider(
        account_sid=ACCOUNT_SID, auth_token=AUTH_TOKEN, from_=SENDER, base_url=twilio_standin.url
    )
    return SmsChannel(twilio, status_callback=CALLBACK)


def test_an_accepted_sms_is_sent_with_the_gateways_id_after_the_previous_is_recorded(channel, twilio_standin) -> None:
    requests_when_recorded: list[int] = []
    outcome = channel.deliver(
        _message("+33 6 12 34 56 78"),
        before_handover=lambda: requests_when_recorded.append(len(twilio_standin.requests)),
        following=None,
    )
    assert requests_when_recorded == [0]  # recorded first, then the request: one message at most in doubt
    assert isinstance(outcome, Sent) and outcome.provider_message_id.startswith("SM")
    (request,) = twilio_standin.requests
    assert (request["form"]["To"], request["form"]["StatusCallback"]) == ("+33612345678", CALLBACK)
    assert channel.name == "sms"


def test_each_refusal_has_its_error_code_and_fails_that_message_alone(channel, twilio_standin) -> None:
    outcomes = [
        channel.deliver(_message(mobile), before_handover=lambda: None, following=None)
        for mobile in ("0612345678", INVALID_TO, OPTED_OUT_TO, "+14155552671")
    ]
    invalid, refused, stopped, sent = outcomes
    assert invalid == Refused("invalid_mobile", "invalid_mobile: not in international E.164 form (+ and country code)")
    assert refused.code == "refused" and refused.detail.startswith("twilio 21211")
    assert stopped == Refused("suppressed", "twilio 21610: Attempt to send to unsubscribed recipient")
    assert isinstance(sent, Sent)
    assert [r["form"]["To"] for r in twilio_standin.requests] == [INVALID_TO, OPTED_OUT_TO, "+14155552671"]


def test_a_rate_limit_waits_as_long_as_the_gateway_asked_and_a_lost_answer_is_unknown(channel, twilio_standin) -> None:
    twilio_standin.throttle_for, twilio_standin.retry_after = 60.0, "7"
    with pytest.raises(RetryLater) as limited:
        channel.deliver(_message("+14155552671"), before_handover=lambda: None, following=None)
    assert limited.value.after == 7.0
    assert limited.value.detail == "sms provider: twilio 20429: Too Many Requests"
    assert not isinstance(limited.value, OutcomeUnknown)
    twilio_standin.throttle_for = 0.0
    with pytest.raises(OutcomeUnknown) as unknown:
        channel.deliver(_message(SERVER_ERROR_TO), before_handover=lambda: None, following=None)
    assert not isinstance(unknown.value, RetryLater)  # never resent automatically


class _HostProvider:
    """A host's own provider whose gateway library raises its own errors."""

    name = "carrier"
    callback_endpoint = None

    def __init__(self) -> None:
        self.calls = 0

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        self.calls += 1
        raise ConnectionResetError("carrier API: connection reset before any answer")


def test_a_host_providers_own_error_is_retried_later_not_a_failed_message() -> None:
    provider = _HostProvider()
    channel = SmsChannel(provider, status_callback=None)
    with pytest.raises(RetryLater) as raised:
        channel.deliver(_message("+14155552671"), before_handover=lambda: None, following=None)
    assert raised.value.detail == "sms provider: carrier API: connection reset before any answer"
    assert isinstance(raised.value.__cause__, ConnectionResetError)
    assert provider.calls == 1
