"""The SMS provider protocol, its result and its error classification.

A provider hands one SMS to a gateway. What it raises tells the batch job what to do:

- :class:`SmsPermanentError`: this recipient cannot be reached this way (invalid or
  unsubscribed number, region not allowed...). The message fails alone, with the reason.
- :class:`SmsTransientError`: the gateway is down, rate-limits us, or refuses our
  credentials. Nothing was accepted; the batch is retried later with backoff and loses
  nothing.
- :class:`SmsOutcomeUnknown`: the request may have reached the gateway but its answer
  was lost (read timeout, broken connection, 500). Resending could send twice, so the
  message is marked failed with reason ``outcome_unknown`` and never resent
  automatically, like an e-mail whose SMTP answer was lost.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from ...errors import BroadcastsError
from ..base import OutcomeUnknown, RetryLater

__all__ = [
    "SmsError",
    "SmsOptedOut",
    "SmsOutcomeUnknown",
    "SmsPermanentError",
    "SmsProvider",
    "SmsResult",
    "SmsTransientError",
]


@dataclass(frozen=True)
class SmsResult:
    """What the gateway answered when it accepted an SMS."""

    #: The gateway's id of the message; status callbacks refer to it.
    provider_message_id: str
    #: The gateway's own status word at acceptance (Twilio: ``queued``, ``accepted``...).
    status: str
    #: The gateway's answer as decoded JSON (or whatever the provider finds useful).
    raw: dict[str, Any] = field(default_factory=dict, repr=False)


class SmsError(BroadcastsError):
    """Base of the errors an :class:`SmsProvider` raises."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        #: Short, stored on the message as its ``error``: ``"<code>: <detail>"``.
        self.reason = reason


class SmsPermanentError(SmsError):
    """This recipient cannot receive this SMS: the message fails, the batch goes on."""


class SmsOptedOut(SmsPermanentError):
    """The recipient has opted out of this sender (they texted STOP; Twilio's error 21610).

    The message's SMS channel ends ``suppressed`` and the number gets an ``sms_stop``
    suppression in the message's organization, as if the STOP had reached us.
    """


class SmsTransientError(SmsError, RetryLater):
    """Nothing was accepted and trying later may work: retry the batch with backoff.

    A :class:`~flask_broadcasts.channels.base.RetryLater`: ``after`` is the number of
    seconds the gateway asked for, when it said.
    """

    def __init__(self, reason: str, *, after: float | None = None) -> None:
        SmsError.__init__(self, reason)
        self.detail, self.code, self.after = reason, None, after


class SmsOutcomeUnknown(SmsError, OutcomeUnknown):
    """The gateway may or may not have accepted the SMS: never resend it automatically."""

    def __init__(self, reason: str) -> None:
        SmsError.__init__(self, reason)
        self.detail, self.code = reason, None


@runtime_checkable
class SmsProvider(Protocol):
    """Sends one SMS. Implementations: :class:`~.LoggingSmsProvider`, :class:`~.TwilioSmsProvider`.

    A provider must be safe to build in a forked RQ work-horse (build network clients
    lazily) and must raise only :class:`SmsError` subclasses for outcomes it knows.
    """

    #: The provider's name, stored nowhere but useful in logs (``"twilio"``).
    name: str
    #: Path, under the plain blueprint, of the status-callback endpoint this provider's
    #: gateway should call, or ``None`` (no callback, or the host wires its own webhook).
    callback_endpoint: str | None

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        """Hand one SMS to the gateway.

        :param to: the recipient in E.164 form (``+33612345678``), already validated.
        :param body: the rendered text.
        :param status_callback: absolute URL the gateway should report delivery to.
        :raises SmsPermanentError | SmsTransientError | SmsOutcomeUnknown:
        """
        ...
