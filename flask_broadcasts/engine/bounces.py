"""The engine's side of bounces: each e-mail's VERP envelope sender, and a synchronous hard bounce.

With ``BROADCASTS_BOUNCE_ADDRESS`` every e-mail of a run goes out with an envelope sender
of its own (``bounces+<message id>-<MAC>@example.com``, :func:`~flask_broadcasts.signing.verp_address`),
so the bounce mail that comes back names its message whatever the bounce looks like
(:mod:`flask_broadcasts.feedback.bounce_mail` reads it). The sender is chosen per
message by the mail channel, so it holds on every connection of a send job
(:mod:`.lanes`) and for each envelope pipelined ahead.

A 5xx at send time that says the address is bad (:func:`~flask_broadcasts.channels.replies.is_hard_bounce`)
is recorded as a refusal with ``error_code`` ``bounced``, then applied as a hard bounce
through the feedback service like any provider's (``mail_status`` ``bounced``,
``bounced_count``, a ``bounced`` suppression, ``message.bounced``), once per message.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ..config import Settings
from ..feedback.events import FeedbackEvent, FeedbackKind
from ..feedback.service import apply_event
from ..signing import verp_addresses

__all__ = ["SYNCHRONOUS_PROVIDER", "bounced_at_send", "verp_senders"]

#: The ``provider`` of the feedback events of 5xx answers at send time.
SYNCHRONOUS_PROVIDER = "smtp"


def verp_senders(settings: Settings) -> Callable[[Any], str] | None:
    """A message → its VERP envelope sender, or ``None`` without ``BROADCASTS_BOUNCE_ADDRESS``."""
    if not settings.bounce_address:
        return None
    address_of = verp_addresses(settings.bounce_address)
    last: tuple[int, str] | None = None

    def sender(message: Any) -> str:
        # Asked twice per message with pipelining (as the next envelope, then to send it).
        nonlocal last
        if last is None or last[0] != message.id:
            last = (message.id, address_of(message.id))
        return last[1]

    return sender


def bounced_at_send(message_id: int, answer: str) -> None:
    """The server refused message ``message_id``'s address for good (``answer``): a hard bounce."""
    apply_event(
        FeedbackEvent(
            provider=SYNCHRONOUS_PROVIDER,
            kind=FeedbackKind.HARD_BOUNCE,
            key=str(message_id),
            message_id=message_id,
            detail=answer[:500],
        )
    )
