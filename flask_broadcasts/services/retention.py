"""Data retention: ``flask broadcasts purge`` removes what a finished run no longer needs.

Old messages (with their sent-email rows and provider reports), test sends and settled webhook deliveries are
deleted in batches of ``batch_size`` rows, each batch its own short transaction, so a purge
of millions of rows never holds long locks and can be interrupted and run again. Kept:

* every message of a run that is still live (pending, in progress or paused) — only runs
  that ended (completed, failed, or stopped) before the cut-off lose their messages;
* the campaigns, their runs and their counters: the figures of a run outlive its messages;
* suppressions, always: removing one would mail an address that asked not to be;
* consent records, unless ``consent=True`` (``--consent``): they prove consent and its
  withdrawal (GDPR Art. 7(1)), so only a deliberate choice removes the old ones.

A purged run can no longer be retried (``retry`` finds nothing to send again).
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, delete, exists, func, not_, select
from sqlalchemy.orm import Session

from ..models import (
    BroadcastCampaign,
    BroadcastConsentEvent,
    BroadcastFeedbackEvent,
    BroadcastMessage,
    BroadcastRun,
    BroadcastSentEmail,
    BroadcastTestSend,
    BroadcastTrackingEvent,
    BroadcastWebhookDelivery,
    utcnow,
)
from ..state import get_state
from ..statuses import CampaignStatus, WebhookDeliveryStatus

__all__ = ["DEFAULT_BATCH_SIZE", "PurgeResult", "purge"]

DEFAULT_BATCH_SIZE = 1_000

#: Campaign statuses whose current run is not over: its messages stay whatever their age.
_LIVE = (CampaignStatus.PENDING.value, CampaignStatus.IN_PROGRESS.value, CampaignStatus.PAUSED.value)


@dataclass
class PurgeResult:
    """How many rows of each kind a purge deleted."""

    messages: int = 0
    sent_emails: int = 0
    feedback_events: int = 0
    #: Opens and clicks of tracked e-mails (the report's counts stay: they hold no message).
    tracking_events: int = 0
    test_sends: int = 0
    webhook_deliveries: int = 0
    consent_events: int = 0

    def items(self) -> list[tuple[str, int]]:
        """``(kind, count)`` in a stable order, for reports."""
        return [(field.name, getattr(self, field.name)) for field in fields(self)]


def purge(
    older_than: timedelta,
    *,
    organization_id: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    consent: bool = False,
    now: datetime | None = None,
) -> PurgeResult:
    """Delete messages of runs that ended before ``now - older_than``, and older test sends
    and settled webhook deliveries (and, with ``consent``, older consent records); of one
    organization, or of all. Commits each batch.

    :raises ValueError: a negative age or a batch size below 1.
    """
    if older_than < timedelta(0) or batch_size < 1:
        raise ValueError("older_than must not be negative and batch_size must be at least 1")
    session = get_state().session
    cutoff = (now or utcnow()) - older_than
    result = PurgeResult()

    def scoped(model: type, *criteria: ColumnElement[bool]) -> list[ColumnElement[bool]]:
        if organization_id is not None:
            return [model.organization_id == organization_id, *criteria]  # type: ignore[attr-defined]
        return list(criteria)

    ended_run = exists().where(
        BroadcastRun.campaign_id == BroadcastMessage.campaign_id,
        BroadcastRun.run_key == BroadcastMessage.run_key,
        BroadcastRun.status.not_in(_LIVE),
        func.coalesce(BroadcastRun.completed_at, BroadcastRun.started_at) < cutoff,
    )
    live_run = exists().where(
        BroadcastCampaign.id == BroadcastMessage.campaign_id,
        BroadcastCampaign.run_key == BroadcastMessage.run_key,
        BroadcastCampaign.status.in_(_LIVE),
    )
    message_ids = select(BroadcastMessage.id).where(*scoped(BroadcastMessage, ended_run, not_(live_run)))

    while ids := _batch(session, message_ids, batch_size):
        result.sent_emails += _delete(session, BroadcastSentEmail, BroadcastSentEmail.message_id.in_(ids))
        # Explicit, not by ON DELETE CASCADE: SQLite enforces no foreign keys unless asked.
        result.feedback_events += _delete(session, BroadcastFeedbackEvent, BroadcastFeedbackEvent.message_id.in_(ids))
        result.tracking_events += _delete(session, BroadcastTrackingEvent, BroadcastTrackingEvent.message_id.in_(ids))
        result.messages += _delete(session, BroadcastMessage, BroadcastMessage.id.in_(ids))
        session.commit()

    old_test_send = BroadcastTestSend.created_at < cutoff
    result.test_sends = _purge_rows(session, BroadcastTestSend, scoped(BroadcastTestSend, old_test_send), batch_size)
    settled_delivery = and_(
        BroadcastWebhookDelivery.status != WebhookDeliveryStatus.PENDING.value,
        BroadcastWebhookDelivery.created_at < cutoff,
    )
    result.webhook_deliveries = _purge_rows(
        session, BroadcastWebhookDelivery, scoped(BroadcastWebhookDelivery, settled_delivery), batch_size
    )
    if consent:
        old_record = BroadcastConsentEvent.created_at < cutoff
        result.consent_events = _purge_rows(
            session, BroadcastConsentEvent, scoped(BroadcastConsentEvent, old_record), batch_size
        )
    return result


def _batch(session: Session, ids: Select[Any], batch_size: int) -> list[int]:
    """The next ``batch_size`` ids (lowest first) of rows still to delete."""
    return list(session.execute(ids.order_by(*ids.selected_columns).limit(batch_size)).scalars())


def _purge_rows(session: Session, model: type, criteria: list[ColumnElement[bool]], batch_size: int) -> int:
    """Delete ``model``'s rows meeting ``criteria``, ``batch_size`` at a time, each batch committed."""
    id_column = model.id  # type: ignore[attr-defined]
    deleted = 0
    while ids := _batch(session, select(id_column).where(*criteria), batch_size):
        deleted += _delete(session, model, id_column.in_(ids))
        session.commit()
    return deleted


def _delete(session: Session, model: type, criterion: ColumnElement[bool]) -> int:
    return session.execute(delete(model).where(criterion)).rowcount or 0  # type: ignore[attr-defined]
