"""The extension's tables.

They live on their own :class:`sqlalchemy.MetaData` (not the host's ``db.Model``)
so that the host's Alembic autogenerate never sees them as its own, while the
host's ``db.session`` still queries them: Flask-SQLAlchemy binds any mapper whose
metadata has no ``bind_key`` to the default engine.

Host ids (organization, customer, booking, community) are stored as strings with
no foreign key into host tables, because hosts use ints or UUIDs and own their
schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from .statuses import CampaignStatus, MessageStatus

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# SQLite only auto-increments an INTEGER PRIMARY KEY; PostgreSQL gets a real BIGINT.
BigId = BigInteger().with_variant(Integer(), "sqlite")
# A string id of a host row (int or UUID in the host's own schema).
HostId = String(64)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every database.

    PostgreSQL keeps the offset; SQLite stores text without one and hands back naive
    values, which would break every comparison with an aware "now". Values are
    converted to UTC on the way in and come back aware.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Convert an aware value to UTC (naive on SQLite); reject naive datetimes."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are ambiguous; pass an aware datetime")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        """Return an aware UTC datetime (naive values from SQLite are taken as UTC)."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utcnow() -> datetime:
    """The current time as an aware UTC datetime (the default of every timestamp column)."""
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base of the extension's tables, on their own :class:`~sqlalchemy.MetaData`.

    Constraint names follow ``NAMING_CONVENTION`` (stable names for migrations);
    ``datetime`` columns map to :class:`UTCDateTime`, dicts and lists to JSON.
    """

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON, list[str]: JSON}


class TimestampMixin:
    """``created_at`` and ``updated_at`` columns (aware UTC), set by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


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


def _not_null(column: str) -> dict[str, Any]:
    """Keyword arguments of an :class:`~sqlalchemy.Index` holding only the rows where ``column`` is set."""
    predicate = text(f"{column} IS NOT NULL")
    return {"postgresql_where": predicate, "sqlite_where": predicate}


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
        Index("ix_broadcast_messages_claim_expires_at", "claim_expires_at", **_not_null("claim_expires_at")),
        # Delivery reports find their message by the provider's id.
        Index("ix_broadcast_messages_provider_message_id", "provider_message_id", **_not_null("provider_message_id")),
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
        Index("ix_broadcast_webhook_deliveries_next_attempt_at", "next_attempt_at", **_not_null("next_attempt_at")),
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


#: The extension's own :class:`~sqlalchemy.MetaData` (its tables only; see :mod:`flask_broadcasts.migrations`).
metadata = Base.metadata

__all__ = [
    "Base",
    "BroadcastAudience",
    "BroadcastCampaign",
    "BroadcastConsentEvent",
    "BroadcastFeedbackEvent",
    "BroadcastFile",
    "BroadcastFileBlob",
    "BroadcastMessage",
    "BroadcastReportCount",
    "BroadcastRun",
    "BroadcastSentEmail",
    "BroadcastSuppression",
    "BroadcastTemplate",
    "BroadcastTestSend",
    "BroadcastTrackingEvent",
    "BroadcastWebhook",
    "BroadcastWebhookDelivery",
    "metadata",
]
