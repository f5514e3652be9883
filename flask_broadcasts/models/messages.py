"""One row per recipient of a run, and what sending it leaves behind: the e-mails handed
over, the report's counts, tracking events, test sends.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from ..statuses import MessageStatus
from .base import Base, BigId, HostId, not_null, utcnow


class BroadcastMessage(Base):
    """One recipient of one run. Its row is the durable record of what was sent."""

    __tablename__ = "broadcast_messages"
    __table_args__ = (
        # The exactly-once key: (campaign, run, recipient).
        UniqueConstraint("campaign_id", "run_key", "recipient_type", "recipient_id"),
        # Workers claim pending rows of a campaign in id order.
        Index("ix_broadcast_messages_claim", "campaign_id", "status", "id"),
        # The messages listing pages by keyset on (created_at, id) within a campaign.
        Index("ix_broadcast_messages_listing", "campaign_id", "created_at", "id"),
        # The recovery sweep finds expired claims across campaigns. Partial, as is the index
        # of provider ids below: each message is written three times (stored, claimed,
        # recorded) and every write of a row enters every index whose predicate it meets;
        # only the claimed version has an expiry, only an SMS has a provider id.
        Index("ix_broadcast_messages_claim_expires_at", "claim_expires_at", **not_null("claim_expires_at")),
        # Delivery reports find their message by the provider's id.
        Index("ix_broadcast_messages_provider_message_id", "provider_message_id", **not_null("provider_message_id")),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"))
    run_key: Mapped[str] = mapped_column(String(40))
    recipient_type: Mapped[str] = mapped_column(String(32))
    recipient_id: Mapped[str] = mapped_column(HostId)
    customer_id: Mapped[str | None] = mapped_column(HostId)
    subject: Mapped[str | None] = mapped_column(Text)
    body: Mapped[str | None] = mapped_column(Text)
    body_short: Mapped[str | None] = mapped_column(Text)
    action_label: Mapped[str | None] = mapped_column(Text)
    action_url: Mapped[str | None] = mapped_column(Text)
    #: The placeholder values it was rendered with, when its texts are its run's content
    #: rendered on read (:mod:`flask_broadcasts.engine.run_content`); ``None``: the texts are
    #: stored above (runs materialized before revision ``broadcasts_0010``, and previews).
    bindings: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    channels: Mapped[list[str]] = mapped_column(default=list)
    locale: Mapped[str | None] = mapped_column(String(35))
    email: Mapped[str | None] = mapped_column(String(320))
    mobile: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(16), default=MessageStatus.PENDING.value)
    error: Mapped[str | None] = mapped_column(Text)
    #: Why it (or one of its channels) failed, in :class:`~flask_broadcasts.statuses.ErrorCode`'s words.
    error_code: Mapped[str | None] = mapped_column(String(32))
    #: The template variant its main text used (``None``: the default text); ``locale`` is the recipient's.
    template_locale: Mapped[str | None] = mapped_column(String(35))
    # Outcome per channel, so a retry never resends a channel that was already accepted.
    mail_status: Mapped[str | None] = mapped_column(String(16))
    sms_status: Mapped[str | None] = mapped_column(String(16))
    sms_encoding: Mapped[str | None] = mapped_column(String(8))
    sms_segments: Mapped[int | None] = mapped_column(Integer)
    provider_message_id: Mapped[str | None] = mapped_column(String(64))
    # Lease of the worker that is sending this message (see BROADCASTS_CLAIM_TTL).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None]
    #: How many times a worker claimed it (a provider that was down counts too).
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: How many times a channel answered about it (accepted, refused, deferred): its tries.
    tries: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Deferred by a temporary answer, or waiting for its window or local time: not claimed before this.
    retry_at: Mapped[datetime | None]
    #: The recipient's IANA zone its window and local delivery time were evaluated in.
    time_zone: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]

    @property
    def status_enum(self) -> MessageStatus:
        """``status`` as a :class:`~flask_broadcasts.MessageStatus` (the column holds the string)."""
        return MessageStatus(self.status)


class BroadcastSentEmail(Base):
    """What the SMTP server accepted for one message: the tracked e-mail record."""

    __tablename__ = "broadcast_sent_emails"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    message_id: Mapped[int] = mapped_column(ForeignKey("broadcast_messages.id", ondelete="CASCADE"), unique=True)
    message_id_header: Mapped[str] = mapped_column(String(255))
    sender: Mapped[str] = mapped_column(String(320))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    response: Mapped[str | None] = mapped_column(Text)


class BroadcastReportCount(Base):
    """One counter of a campaign's report: per run, channel, metric and key (an error code, a
    link's index, an hour), added to where outcomes, feedback and tracking events are recorded.

    The report reads a campaign's rows (one range of the unique index), never its messages.
    ``channel`` is ``""`` for the hourly series; ``key`` is ``""`` where a metric has none.
    """

    __tablename__ = "broadcast_report_counts"
    __table_args__ = (UniqueConstraint("campaign_id", "run_key", "channel", "metric", "key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"))
    run_key: Mapped[str] = mapped_column(String(40))
    channel: Mapped[str] = mapped_column(String(8))
    metric: Mapped[str] = mapped_column(String(24))
    key: Mapped[str] = mapped_column(String(64), default="")
    count: Mapped[int] = mapped_column(BigInteger, default=0)


class BroadcastTrackingEvent(Base):
    """One open or click of a tracked e-mail: ids, the kind, and whether it looked like a machine.

    No IP address and no user agent is stored (they only decide ``machine``).
    """

    __tablename__ = "broadcast_tracking_events"
    __table_args__ = (
        # "Is this the message's first human open / click of this link?": one probe.
        Index("ix_broadcast_tracking_events_message", "message_id", "kind", "link_index"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"))
    message_id: Mapped[int] = mapped_column(ForeignKey("broadcast_messages.id", ondelete="CASCADE"))
    #: ``open`` or ``click``.
    kind: Mapped[str] = mapped_column(String(8))
    link_index: Mapped[int | None] = mapped_column(Integer)
    machine: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class BroadcastTestSend(Base):
    """One test send of a campaign: the addresses it went to and what each got (never a message)."""

    __tablename__ = "broadcast_test_sends"
    __table_args__ = (
        # The hourly limit counts an organization's test sends since an hour ago.
        Index("ix_broadcast_test_sends_organization_id_created_at", "organization_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"), index=True)
    #: The audience member whose bindings were used (``None``: the audience's first, or none).
    recipient_type: Mapped[str | None] = mapped_column(String(32))
    recipient_id: Mapped[str | None] = mapped_column(HostId)
    to: Mapped[list[str]] = mapped_column(default=list)
    #: ``[{to, channel, status, error}]``, one per address of ``to``.
    results: Mapped[list[Any]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def recipient(self) -> tuple[str, str] | None:
        """``(type, id)`` of the audience member whose bindings were used, if one was."""
        if self.recipient_type is None or self.recipient_id is None:
            return None
        return self.recipient_type, self.recipient_id
