"""The one outcome vocabulary of every channel, and the :class:`Channel` protocol.

A channel hands one message over and says how that went, in the same words for e-mail
and SMS:

- :class:`Sent` — accepted by the server or the gateway;
- :class:`Refused` — this recipient cannot get it this way (5xx, invalid number...):
  the message's channel fails alone, the batch goes on;
- :class:`Deferred` — this recipient cannot get it *now* (SMTP 4xx to RCPT or DATA:
  greylisting, a full mailbox): that message alone is tried again later, with a back-off;
- :class:`RetryLater` (raised) — nothing was accepted and the provider, not the message,
  is the problem (server down, 421, 4xx before the recipient, gateway rate limit): the
  batch releases what it has not sent and is retried; no message pays a try;
- :class:`OutcomeUnknown` (raised) — it may or may not have been accepted (the answer was
  lost): it is marked so and never resent automatically.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from threading import BoundedSemaphore
from typing import Any, Protocol

from ..errors import BroadcastsError

__all__ = [
    "Bounded",
    "Channel",
    "ChannelError",
    "Deferred",
    "Outcome",
    "OutcomeUnknown",
    "Refused",
    "RetryLater",
    "Sent",
]


@dataclass(frozen=True)
class Sent:
    """The server or gateway accepted the message."""

    #: Its answer (``250 2.0.0 queued as ...``; an SMS gateway's status word).
    answer: str = ""
    #: The gateway's id of an SMS (status callbacks refer to it).
    provider_message_id: str | None = None
    #: An e-mail's Message-ID header and its envelope, for the sent-e-mail record.
    message_id: str | None = None
    sender: str | None = None
    recipient: str | None = None


@dataclass(frozen=True)
class Refused:
    """This recipient cannot get the message through this channel."""

    #: The ``error_code`` vocabulary of the conventions: ``refused``, ``invalid_mobile``...
    code: str
    #: The server's or gateway's words (stored in the message's ``error``).
    detail: str


@dataclass(frozen=True)
class Deferred:
    """This recipient cannot get the message now; try this message again later."""

    #: The server's words (the message's ``error`` while it waits, and when it runs out of tries).
    detail: str


#: How one hand-over ended when it did not raise.
Outcome = Sent | Refused | Deferred


class ChannelError(BroadcastsError):
    """Base of what a channel raises: the hand-over did not settle the message."""

    def __init__(self, detail: str, code: int | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.code = code


class RetryLater(ChannelError):
    """Nothing was accepted; try again later (``after`` seconds, when the provider said so)."""

    def __init__(self, detail: str, code: int | None = None, *, after: float | None = None) -> None:
        super().__init__(detail, code)
        self.after = after


class OutcomeUnknown(ChannelError):
    """The message may have been accepted: the answer never came back. Never resend it."""


class Channel(Protocol):
    """Hands messages over one at a time, for the length of one claimed batch.

    ``message`` is a claimed ``broadcast_messages`` row (its ``email`` / ``mobile``,
    ``subject``, ``body``, ``body_short``, ``action_label``, ``action_url``,
    ``recipient_type``, ``recipient_id``).
    """

    #: The channel's name in a message's ``channels`` (``mail``, ``sms``).
    name: str

    def deliver(self, message: Any, *, before_handover: Callable[[], None], following: Any | None) -> Outcome:
        """Hand ``message`` over.

        :param before_handover: called once, just before the bytes that would let the
            server accept the message go out (the sender finishes recording the previous
            message there, so at most one message is ever in doubt).
        :param following: the message the caller sends next, if any (a channel may open
            its exchange ahead, as SMTP pipelining does); it is never sent by this call.
        :raises RetryLater: nothing was accepted.
        :raises OutcomeUnknown: it may have been accepted.
        """
        ...

    def close(self) -> None:
        """End the channel's connection, if it has one (the end of the batch)."""
        ...


class Bounded:
    """A :class:`Channel` whose hand-overs wait for one of the ``slots`` other channels share.

    What bounds the SMS requests in flight (``BROADCASTS_SMS_CONCURRENCY``) when a send
    job runs more connections than that; the slot is held for the request only.
    """

    def __init__(self, channel: Channel, slots: BoundedSemaphore) -> None:
        self.channel = channel
        self.slots = slots
        self.name = channel.name

    def deliver(self, message: Any, *, before_handover: Callable[[], None], following: Any | None) -> Outcome:
        """Wait for a slot, then hand ``message`` to the channel (see :meth:`Channel.deliver`)."""
        with self.slots:
            return self.channel.deliver(message, before_handover=before_handover, following=following)

    def close(self) -> None:
        """Close the channel."""
        self.channel.close()
