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
A worker killed between the two leaves the message ``refused`` with ``error_code``
``bounced``: the run's completion applies what such a worker left
(:func:`apply_left_bounces`), so no bounce is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..config import Settings
from ..feedback.events import FeedbackEvent, FeedbackKind
from ..feedback.service import apply_event
from ..signing import verp_addresses
from ..statuses import ChannelStatus, ErrorCode, MessageStatus
from .tables import messages

__all__ = ["SYNCHRONOUS_PROVIDER", "apply_left_bounces", "bounced_at_send", "verp_senders"]

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


def apply_left_bounces(session: Session, campaign_id: int, run_key: str) -> int:
    """Apply the hard bounces at send time that a killed worker recorded but did not apply.

    Only failed messages are read (the claim index's ``campaign_id, status`` range): a
    message another channel reached is left as recorded. Returns how many were applied.
    """
    left = session.execute(
        select(messages.c.id, messages.c.error).where(
            messages.c.campaign_id == campaign_id,
            messages.c.status == MessageStatus.FAILED.value,
            messages.c.run_key == run_key,
            messages.c.error_code == ErrorCode.BOUNCED.value,
            messages.c.mail_status == ChannelStatus.REFUSED.value,
        )
    ).all()
    session.rollback()
    for message_id, error in left:
        bounced_at_send(message_id, (error or "").removeprefix("mail: "))
    return len(left)
