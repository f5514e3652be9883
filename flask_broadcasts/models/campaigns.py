"""A campaign and what it is made of: its template (and files), its audience, its runs and
the content each run renders its messages from.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ..statuses import CampaignStatus
from .base import Base, HostId, TimestampMixin, utcnow


class BroadcastTemplate(TimestampMixin, Base):
    """E-mail/SMS content with ``{placeholder}`` variables and per-locale variants."""

    __tablename__ = "broadcast_templates"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    name: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(String(998))
    body: Mapped[str | None] = mapped_column(Text)
    body_short: Mapped[str | None] = mapped_column(Text)
    action_label: Mapped[str | None] = mapped_column(String(200))
    action_url: Mapped[str | None] = mapped_column(String(2000))
    channels: Mapped[list[str]] = mapped_column(default=list)
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    binding_type: Mapped[str] = mapped_column(String(32), default="customer")
    subject_i18n: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_i18n: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_short_i18n: Mapped[dict[str, Any]] = mapped_column(default=dict)
    action_label_i18n: Mapped[dict[str, Any]] = mapped_column(default=dict)

    files: Mapped[list[BroadcastFile]] = relationship(
        back_populates="template", cascade="all, delete-orphan", order_by="BroadcastFile.id"
    )


class BroadcastFile(Base):
    """An attachment of a template; its bytes live behind the file storage interface."""

    __tablename__ = "broadcast_files"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    template_id: Mapped[int] = mapped_column(ForeignKey("broadcast_templates.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(127))
    size: Mapped[int] = mapped_column(Integer)
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    template: Mapped[BroadcastTemplate] = relationship(back_populates="files")


class BroadcastFileBlob(Base):
    """Bytes of an attachment for the default, database-backed file storage (every worker can read them)."""

    __tablename__ = "broadcast_file_blobs"

    key: Mapped[str] = mapped_column(String(255), primary_key=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)


class BroadcastAudience(TimestampMixin, Base):
    """Who receives a campaign: the host's customer or booking filters, or a community's members."""

    __tablename__ = "broadcast_audiences"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    name: Mapped[str] = mapped_column(String(200))
    audience_type: Mapped[str] = mapped_column(String(32))
    filters: Mapped[dict[str, Any]] = mapped_column(default=dict)
    is_template: Mapped[bool] = mapped_column(Boolean, default=False)
    community_id: Mapped[str | None] = mapped_column(HostId)


class BroadcastCampaign(TimestampMixin, Base):
    """A template sent to an audience, once, at a time, or on a cron."""

    __tablename__ = "broadcast_campaigns"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    name: Mapped[str] = mapped_column(String(200))
    template_id: Mapped[int] = mapped_column(ForeignKey("broadcast_templates.id"), index=True)
    audience_id: Mapped[int] = mapped_column(ForeignKey("broadcast_audiences.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.DRAFT.value, index=True)
    status_reason: Mapped[str | None] = mapped_column(Text)
    scheduled_at: Mapped[datetime | None]
    recurring: Mapped[bool] = mapped_column(Boolean, default=False)
    cron: Mapped[str | None] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    next_run_at: Mapped[datetime | None] = mapped_column(index=True)
    # The exactly-once key of the current or last run: "once" for a one-off campaign,
    # the fire time (ISO 8601, UTC) for a recurring one.
    run_key: Mapped[str | None] = mapped_column(String(40))
    runs_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    #: Of ``failed_count`` and ``sent_count``, the messages with a channel left out because its
    #: address is suppressed (a subset, never an extra term: ``total = sent + failed``).
    suppressed_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: Feedback from the providers, subsets too: messages reported delivered (of ``sent_count``),
    #: whose e-mail hard-bounced, and whose recipient complained (see ``flask_broadcasts.feedback``).
    delivered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounced_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complained_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: What the deliverability guard judges from (``engine.guard``): the run's counters when an
    #: operator resumed it after a guard pause, ``{"run_key", "sent", "bounced", "complained"}``;
    #: ``None`` (or another run's key) means from the run's start.
    guard_baseline: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    started_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    #: Send-by: messages not sent by then fail ``expired`` (``engine.expiry``).
    expires_at: Mapped[datetime | None]
    #: Quiet hours in each recipient's zone: ``{"start": "HH:MM", "end": "HH:MM", "days": [...]}``.
    send_window: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    #: ``"HH:MM"``: each recipient's message at the next such wall-clock time in their zone.
    deliver_at_local: Mapped[str | None] = mapped_column(String(5))
    #: Open and click tracking (off by default, see docs/tracking.rst): a 1x1 image and
    #: links through ``broadcast-t/c/<token>`` in the HTML part of its e-mails.
    track_opens: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    track_clicks: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    template: Mapped[BroadcastTemplate] = relationship(lazy="raise_on_sql")
    audience: Mapped[BroadcastAudience] = relationship(lazy="raise_on_sql")

    @property
    def status_enum(self) -> CampaignStatus:
        """``status`` as a :class:`~flask_broadcasts.CampaignStatus` (the column holds the string)."""
        return CampaignStatus(self.status)


class BroadcastRun(Base):
    """One run of a campaign: claimed in the database before it starts, so a fire time runs once."""

    __tablename__ = "broadcast_runs"
    __table_args__ = (UniqueConstraint("campaign_id", "run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId, index=True)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"), index=True)
    run_key: Mapped[str] = mapped_column(String(40))
    fire_time: Mapped[datetime | None]
    status: Mapped[str] = mapped_column(String(16), default=CampaignStatus.PENDING.value)
    status_reason: Mapped[str | None] = mapped_column(Text)
    total_count: Mapped[int] = mapped_column(Integer, default=0)
    sent_count: Mapped[int] = mapped_column(Integer, default=0)
    failed_count: Mapped[int] = mapped_column(Integer, default=0)
    delivered_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    bounced_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    complained_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    completed_at: Mapped[datetime | None]
    # Set when every recipient of the run is stored: only then may the run complete.
    materialized_at: Mapped[datetime | None]
    # Lease of the worker materializing the run (renewed per chunk; see BROADCASTS_CLAIM_TTL).
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    claim_expires_at: Mapped[datetime | None]


class BroadcastRunContent(Base):
    """A run's template content, stored once when the run is materialized.

    Its messages keep only the values they were rendered with (``bindings``); their texts
    are this content rendered with them again on read, so a message's stored size does not
    grow with the body. Never changed once written: a materialization taken over after a
    crash renders the same content, whatever happened to the template since.
    """

    __tablename__ = "broadcast_run_contents"
    __table_args__ = (UniqueConstraint("campaign_id", "run_key"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(HostId)
    campaign_id: Mapped[int] = mapped_column(ForeignKey("broadcast_campaigns.id", ondelete="CASCADE"))
    run_key: Mapped[str] = mapped_column(String(40))
    #: The template's texts, variants and channels (:class:`~flask_broadcasts.rendering.TemplateContent`).
    content: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
