"""Sending the SMS channel of one message: validate the number, call the provider, classify.

The batch job of the sending engine calls :func:`send_sms` for each claimed message
whose channels include ``sms`` and whose ``sms_status`` is not settled yet, then
records the outcome before its next send (see :mod:`flask_broadcasts.background.jobs`).
"""

from __future__ import annotations

from dataclasses import dataclass

from .base import SmsOptedOut, SmsPermanentError, SmsProvider
from .numbers import to_e164

__all__ = ["SmsOutcome", "send_sms"]


@dataclass(frozen=True)
class SmsOutcome:
    """How the SMS channel of one message ended (transient errors are raised instead)."""

    accepted: bool
    #: The gateway's id when accepted (stored as the message's ``provider_message_id``).
    provider_message_id: str | None = None
    #: Why it failed (stored as the message's ``error``): ``invalid_mobile: ...``, ``twilio 21610: ...``.
    reason: str | None = None
    #: The recipient opted out of this sender (:class:`~.base.SmsOptedOut`, Twilio's 21610).
    opted_out: bool = False


def send_sms(provider: SmsProvider, mobile: str | None, body: str | None, *, status_callback: str | None) -> SmsOutcome:
    """Send one SMS, or say why this recipient cannot get it.

    :returns: an accepted outcome with the gateway's id, or a refused one with a reason
        (invalid number, or the provider's :class:`~.base.SmsPermanentError`).
    :raises SmsTransientError: nothing was sent; retry the batch later.
    :raises SmsOutcomeUnknown: it may have been sent; mark it ``outcome_unknown``, never resend.
    """
    try:
        to = to_e164(mobile)
        if not (body or "").strip():
            raise SmsPermanentError("empty_body: the SMS text is empty")
        result = provider.send(to, body or "", status_callback=status_callback)
    except SmsPermanentError as error:
        return SmsOutcome(accepted=False, reason=error.reason, opted_out=isinstance(error, SmsOptedOut))
    return SmsOutcome(accepted=True, provider_message_id=result.provider_message_id)
