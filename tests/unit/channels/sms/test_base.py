"""flask_broadcasts.channels.sms.base: the provider protocol and what a provider may raise.

What a user relies on (a host writing its own provider): an object with the protocol's members
is an ``SmsProvider``; each error class means to the engine what its docstring says, because it
is the channel vocabulary's class of that meaning: ``SmsTransientError`` is a ``RetryLater`` with
the gateway's wait, ``SmsOutcomeUnknown`` an ``OutcomeUnknown`` (never resent), ``SmsOptedOut`` a
permanent refusal; each keeps the reason stored on the message."""

from __future__ import annotations

import pytest

from flask_broadcasts.channels.base import OutcomeUnknown, RetryLater
from flask_broadcasts.channels.sms.base import (
    SmsError,
    SmsOptedOut,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsProvider,
    SmsResult,
    SmsTransientError,
)
from flask_broadcasts.channels.sms.logging_provider import LoggingSmsProvider


class HostProvider:
    """A host's own provider, as the protocol describes one."""

    name = "carrier"
    callback_endpoint = None

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        return SmsResult(provider_message_id=f"c-{to}", status="queued")


def test_a_provider_is_anything_with_the_protocols_members() -> None:
    assert isinstance(HostProvider(), SmsProvider)
    assert isinstance(LoggingSmsProvider(), SmsProvider)
    assert not isinstance(object(), SmsProvider)
    # A provider that leaves out the gateway's answer gets an empty one of its own, and no secret in logs.
    first, second = SmsResult("SM1", "queued"), SmsResult("SM2", "queued")
    assert first.raw == {} and first.raw is not second.raw
    assert "raw" not in repr(SmsResult("SM3", "queued", raw={"auth": "token"}))


def test_a_transient_error_is_a_retry_later_with_the_gateways_wait() -> None:
    error = SmsTransientError("twilio 20429: Too Many Requests", after=2.0)
    assert isinstance(error, RetryLater) and isinstance(error, SmsError)
    assert (error.reason, error.detail, error.after, error.code) == (
        "twilio 20429: Too Many Requests",
        "twilio 20429: Too Many Requests",
        2.0,
        None,
    )
    assert SmsTransientError("down").after is None
    with pytest.raises(RetryLater, match="Too Many"):
        raise error


def test_an_unknown_outcome_is_never_a_retry_and_a_stop_is_permanent() -> None:
    unknown = SmsOutcomeUnknown("twilio: read timed out")
    assert isinstance(unknown, OutcomeUnknown) and not isinstance(unknown, RetryLater)
    assert unknown.reason == unknown.detail == "twilio: read timed out"
    opted_out = SmsOptedOut("twilio 21610: Attempt to send to unsubscribed recipient")
    assert isinstance(opted_out, SmsPermanentError)
    assert not isinstance(opted_out, RetryLater | OutcomeUnknown)
    assert opted_out.reason.startswith("twilio 21610")
