"""The host's webhooks and each delivery of an event to one of them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, BigId, HostId, TimestampMixin, not_null, utcnow


class BroadcastWebhook(TimestampMixin, Base):
    """Where an organization wants to hear about ``events`` (:class:`~flask_broadcasts.statuses.EventType`)."""

    __tablename__ = "broadcast_webhooks"
    # ``secret`` below is a plain attribute, not a column.
    __allow_unmapped__ = True

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    url: Mapped[str] = mapped_column(String(2000))
    description: Mapped[str | None] = mapped_column(String(200))
    events: Mapped[list[str]] = mapped_column(default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # The signing key, ``whsec_`` + base64 (Standard Webhooks). Kept as it is: signing needs it.
    signing_secret: Mapped[str] = mapped_column(String(100))
    # After a rotation the old key keeps signing (a second signature) until this time.
    previous_signing_secret: Mapped[str | None] = mapped_column(String(100))
    previous_secret_expires_at: Mapped[datetime | None]
    deactivated_at: Mapped[datetime | None]

    #: The secret in clear, set only on the object a creation or rotation answers with
    #: (the API shows it that once); ``None`` on every object loaded from the database.
    secret: str | None = None


class BroadcastWebhookDelivery(Base):
    """One event (or one batch of message events) for one webhook, and how its delivery went."""

    __tablename__ = "broadcast_webhook_deliveries"
    __table_args__ = (
        Index("ix_broadcast_webhook_deliveries_listing", "organization_id", "created_at", "id"),
        # The sweep finds deliveries whose next attempt is overdue.
        Index("ix_broadcast_webhook_deliveries_next_attempt_at", "next_attempt_at", **not_null("next_attempt_at")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    webhook_id: Mapped[int] = mapped_column(ForeignKey("broadcast_webhooks.id", ondelete="CASCADE"), index=True)
    event_type: Mapped[str] = mapped_column(String(64))
    #: ``webhook-id``: the same on every attempt and redelivery, so receivers deduplicate.
    event_id: Mapped[str] = mapped_column(String(64))
    #: The exact JSON body that is signed and sent.
    payload: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    response_status: Mapped[int | None] = mapped_column(Integer)
    duration_ms: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_attempt_at: Mapped[datetime | None]
    next_attempt_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
