"""Who must not be sent to, and why: the suppression list, the feedback that fills it
(bounces, complaints) and the record of every consent change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, HostId, utcnow


class BroadcastSuppression(Base):
    """An address of an organization that one channel never sends to (unsubscribed, bounced ...).

    One row per (organization, channel, address); the address is normalized (e-mail
    lower-cased, mobile in E.164), so a lookup is one probe of the unique index.
    """

    __tablename__ = "broadcast_suppressions"
    __table_args__ = (UniqueConstraint("organization_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    reason: Mapped[str] = mapped_column(String(16))
    source_kind: Mapped[str] = mapped_column(String(16))
    source_id: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def source(self) -> dict[str, Any]:
        """``{"kind": ..., "id": ...}``: what put the address on the list."""
        return {"kind": self.source_kind, "id": self.source_id}


class BroadcastFeedbackEvent(Base):
    """One provider report applied to a message (delivered, bounce, complaint): the record of it.

    ``(provider, event_key)`` is unique, so a report the provider sends again is recognized and
    changes nothing; the consecutive soft bounces of an address are counted from these rows.
    """

    __tablename__ = "broadcast_feedback_events"
    __table_args__ = (
        UniqueConstraint("provider", "event_key"),
        # The soft-bounce streak of an address: its latest events in the organization.
        Index("ix_broadcast_feedback_events_address", "organization_id", "address", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    message_id: Mapped[int] = mapped_column(ForeignKey("broadcast_messages.id", ondelete="CASCADE"), index=True)
    #: ``ses``, ``sendgrid``, ``postmark``, ``mailgun``, ``mail`` (bounce mail), ``smtp`` (a 5xx at send time).
    provider: Mapped[str] = mapped_column(String(16))
    #: SHA-256 (hex) of the provider's own id of the report.
    event_key: Mapped[str] = mapped_column(String(64))
    #: ``delivered``, ``hard_bounce``, ``soft_bounce`` or ``complaint``.
    kind: Mapped[str] = mapped_column(String(16))
    address: Mapped[str | None] = mapped_column(String(320))
    #: The provider's code and words (``smtp; 550 5.1.1 user unknown``).
    detail: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BroadcastConsentEvent(Base):
    """One record of an address's consent changing: appended, never updated or deleted.

    Every suppression (unsubscribe link or page, a user, an import, a provider's report)
    and every re-subscribe adds one, so a re-subscribe never erases the unsubscribe before
    it (GDPR Art. 7(1): the sender must be able to demonstrate consent). ``ip_hmac`` is a
    keyed HMAC of the requester's IP, never the address itself.
    """

    __tablename__ = "broadcast_consent_events"
    __table_args__ = (
        # The resource lists an organization's records newest first, by keyset on (created_at, id).
        Index("ix_broadcast_consent_events_listing", "organization_id", "created_at", "id"),
        # filter[address]: one address's history.
        Index("ix_broadcast_consent_events_address", "organization_id", "address"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    channel: Mapped[str] = mapped_column(String(8))
    address: Mapped[str] = mapped_column(String(320))
    #: A :class:`~flask_broadcasts.statuses.ConsentAction`.
    action: Mapped[str] = mapped_column(String(16))
    #: A :class:`~flask_broadcasts.statuses.ConsentMethod`.
    method: Mapped[str] = mapped_column(String(16))
    #: For a withdrawal, the suppression's :class:`~flask_broadcasts.statuses.SuppressionReason`.
    reason: Mapped[str | None] = mapped_column(String(16))
    #: The message whose link was followed (no foreign key: the purge may remove the message).
    message_id: Mapped[int | None] = mapped_column(BigInteger)
    #: The host user who acted through the API.
    user_id: Mapped[str | None] = mapped_column(HostId)
    #: The provider's reference, or the imported file's name.
    reference: Mapped[str | None] = mapped_column(String(200))
    ip_hmac: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
