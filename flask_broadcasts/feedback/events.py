"""The normalized provider report every source of feedback is translated into.

Each provider's module (:mod:`.ses`, :mod:`.sendgrid`, :mod:`.postmark`, :mod:`.mailgun`)
and bounce mail (:mod:`.bounce_mail`) turn what they receive into :class:`FeedbackEvent` values;
:func:`~flask_broadcasts.feedback.service.apply_event` is the one place they take effect.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass

__all__ = ["FeedbackEvent", "FeedbackKind", "InvalidSignature", "NotConfigured", "Outcome", "event_key"]


class FeedbackKind(str, enum.Enum):
    """What a provider reported about one e-mail."""

    DELIVERED = "delivered"
    #: A permanent failure (no such user, domain does not exist): suppresses the address.
    HARD_BOUNCE = "hard_bounce"
    #: A temporary failure (mailbox full); ``BROADCASTS_SOFT_BOUNCE_LIMIT`` in a row suppress.
    SOFT_BOUNCE = "soft_bounce"
    #: The recipient reported it as spam (a feedback loop): suppresses the address.
    COMPLAINT = "complaint"


class Outcome(str, enum.Enum):
    """What :func:`~flask_broadcasts.feedback.service.apply_event` made of a report."""

    APPLIED = "applied"
    #: The same report again (same provider and event key): nothing changed.
    DUPLICATE = "duplicate"
    #: No message of ours matches (or its recipient is another address): ignored.
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class FeedbackEvent:
    """One report about one recipient of one e-mail, in our words.

    At least one of ``message_id`` (ours, from a verified VERP token), ``message_id_header``
    (our ``Message-ID``) or ``provider_message_id`` (the provider's id) names the message.
    """

    provider: str
    kind: FeedbackKind
    #: The provider's own id of this report (hashed with the provider into ``event_key``).
    key: str
    message_id_header: str | None = None
    provider_message_id: str | None = None
    message_id: int | None = None
    #: The recipient the report is about; when given it must be the message's address.
    address: str | None = None
    #: The provider's code and words, kept in ``error`` and on the event row.
    detail: str | None = None


def event_key(provider: str, key: str) -> str:
    """The stored, fixed-length form of a provider's report id."""
    return hashlib.sha256(f"{provider}\0{key}".encode("utf-8", "surrogateescape")).hexdigest()


class InvalidSignature(ValueError):
    """The request is not signed (or not authenticated) by the configured key: 401."""


class NotConfigured(InvalidSignature):
    """No key is configured for the provider: every request is refused (401)."""
