"""The SMS channel: an :class:`~.base.SmsProvider` in the outcome vocabulary of
:mod:`flask_broadcasts.channels.base`."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ...statuses import ErrorCode
from ..base import Outcome, OutcomeUnknown, Refused, RetryLater, Sent
from ..mail import UNSUBSCRIBE_PLACEHOLDER, fill_unsubscribe_url
from .base import SmsProvider
from .numbers import INVALID_MOBILE
from .send import send_sms

__all__ = ["SmsChannel"]


class SmsChannel:
    """:class:`~flask_broadcasts.channels.base.Channel` for SMS through one provider.

    Invalid numbers and the gateway's refusals are :class:`~flask_broadcasts.channels.base.Refused`
    (``invalid_mobile`` / ``refused``; ``suppressed`` when the recipient opted out of the sender); the provider's transient errors, and any other
    error of a host's provider, are :class:`~flask_broadcasts.channels.base.RetryLater`; its
    :class:`~.base.SmsOutcomeUnknown` propagates.
    """

    name = "sms"

    def __init__(
        self,
        provider: SmsProvider,
        *,
        status_callback: str | None,
        unsubscribe_url_for: Callable[[Any], str] | None = None,
    ) -> None:
        self.provider = provider
        self.status_callback = status_callback
        #: A message → its unsubscribe link for SMS (fills ``{unsubscribe_url}`` in ``body_short``).
        self.unsubscribe_url_for = unsubscribe_url_for

    def deliver(self, message: Any, *, before_handover: Callable[[], None], following: Any | None) -> Outcome:
        """Send one SMS (see :meth:`flask_broadcasts.channels.base.Channel.deliver`)."""
        text = message.body_short
        if self.unsubscribe_url_for is not None and text and UNSUBSCRIBE_PLACEHOLDER in text:
            text = fill_unsubscribe_url(text, self.unsubscribe_url_for(message))
        before_handover()
        try:
            outcome = send_sms(self.provider, message.mobile, text, status_callback=self.status_callback)
        except OutcomeUnknown:
            raise
        except RetryLater as exc:  # SmsTransientError, or a host provider's own RetryLater
            raise RetryLater(f"sms provider: {exc.detail}", exc.code, after=exc.after) from exc
        except Exception as exc:  # a host provider's own error: nothing is known to be accepted
            raise RetryLater(f"sms provider: {getattr(exc, 'reason', exc)}") from exc
        if outcome.accepted:
            return Sent(provider_message_id=outcome.provider_message_id)
        reason = outcome.reason or ""
        code = ErrorCode.INVALID_MOBILE if reason.startswith(INVALID_MOBILE) else ErrorCode.REFUSED
        if outcome.opted_out:  # the engine suppresses the number and marks the channel so
            code = ErrorCode.SUPPRESSED
        return Refused(code.value, reason)

    def close(self) -> None:
        """Nothing to close: providers keep their own HTTP clients."""
