"""Message events of one send batch: a signal per message, one webhook delivery per flush.

The recorder of a batch (:class:`~flask_broadcasts.engine.outcomes.OutcomeRecorder`) makes
one :class:`MessageEvents`: it learns once which of the organization's webhooks want
message events, then per message only sends the signal (when a receiver is connected)
and, when a webhook wants them, notes three values. Each counter flush turns the notes
into one delivery per event type and webhook, carrying every message of the flush.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from .. import signals
from ..models import BroadcastCampaign, BroadcastMessage, BroadcastWebhook
from ..statuses import EventType, MessageStatus
from .after_commit import after_commit
from .events import queue_deliveries, store_deliveries

__all__ = ["MessageEvents", "announce"]

_SENT, _FAILED = signals.message_sent, signals.message_failed
# Compared by identity: ``MessageStatus.is_sent`` (an enum property) alone costs about a microsecond.
_COMPLETED, _DELIVERED = MessageStatus.COMPLETED, MessageStatus.DELIVERED


class MessageEvents:
    """The message events of one batch of campaign ``campaign_id``'s run ``run_key``."""

    def __init__(self, session: Session, campaign_id: int, run_key: str) -> None:
        self.app = current_app._get_current_object()  # type: ignore[attr-defined]
        self.campaign_id = campaign_id
        self.run_key = run_key
        rows = session.execute(
            select(BroadcastCampaign.organization_id, BroadcastWebhook.id, BroadcastWebhook.events)
            .outerjoin(
                BroadcastWebhook,
                (BroadcastWebhook.organization_id == BroadcastCampaign.organization_id)
                & BroadcastWebhook.active.is_(True),
            )
            .where(BroadcastCampaign.id == campaign_id)
        ).all()
        self.organization_id: str | None = rows[0][0] if rows else None
        #: Event type → the webhooks that want it.
        self.subscribers: dict[EventType, list[int]] = defaultdict(list)
        for _, webhook_id, events in rows:
            for event in (EventType.MESSAGE_SENT, EventType.MESSAGE_FAILED):
                if webhook_id is not None and event.value in (events or ()):
                    self.subscribers[event].append(webhook_id)
        self.batching = bool(self.subscribers)
        #: (message id, status, error code) since the last flush.
        self.noted: list[tuple[int, str, str | None]] = []

    def message(self, message_id: int, status: MessageStatus, error_code: str | None) -> None:
        """One message's outcome was recorded (the hot path: cheap when nobody listens)."""
        signal = _SENT if status is _COMPLETED or status is _DELIVERED else _FAILED
        if signal.receivers:
            signals.send(
                signal,
                self.app,
                organization_id=self.organization_id,
                campaign_id=self.campaign_id,
                run_key=self.run_key,
                message_id=message_id,
                status=status.value,
                error_code=error_code,
            )
        if self.batching:
            self.noted.append((message_id, status.value, error_code))

    def flush(self, session: Session) -> None:
        """Store the deliveries of the messages noted since the last flush; commits."""
        if not self.noted or self.organization_id is None:
            return
        noted, self.noted = self.noted, []
        recipients = {
            row.id: row
            for row in session.execute(
                select(
                    BroadcastMessage.id,
                    BroadcastMessage.recipient_type,
                    BroadcastMessage.recipient_id,
                    BroadcastMessage.customer_id,
                ).where(BroadcastMessage.id.in_([message_id for message_id, _, _ in noted]))
            )
        }
        by_event: dict[EventType, list[dict[str, Any]]] = defaultdict(list)
        for message_id, status, error_code in noted:
            event = EventType.MESSAGE_SENT if MessageStatus(status).is_sent else EventType.MESSAGE_FAILED
            recipient = recipients.get(message_id)
            by_event[event].append(
                {
                    "id": message_id,
                    "status": status,
                    "error_code": error_code,
                    "recipient_type": recipient.recipient_type if recipient else None,
                    "recipient_id": recipient.recipient_id if recipient else None,
                    "customer_id": recipient.customer_id if recipient else None,
                }
            )
        ids: list[int] = []
        for event, items in by_event.items():
            webhooks = self.subscribers.get(event)
            if not webhooks:
                continue
            data = {
                "organization_id": self.organization_id,
                "campaign_id": self.campaign_id,
                "run_key": self.run_key,
                "messages": items,
            }
            ids += store_deliveries(session, self.organization_id, event, [data], webhooks)
        if ids:
            after_commit(session, lambda: queue_deliveries(ids))
            session.commit()


def announce(
    session: Session, campaign_id: int, run_key: str, outcomes: list[tuple[int, MessageStatus, str | None]]
) -> None:
    """Message events of outcomes settled outside a send (at materialization, at claim time). Commits.

    ``outcomes``: ``(message id, status, error code)``. One query learns who listens; nothing
    more happens when nobody does.
    """
    if not outcomes:
        return
    events = MessageEvents(session, campaign_id, run_key)
    for message_id, status, error_code in outcomes:
        events.message(message_id, status, error_code)
    events.flush(session)


def listening(session: Session, campaign_id: int, run_key: str) -> MessageEvents | None:
    """The campaign's message events when a signal receiver or a webhook wants failures, else ``None``."""
    events = MessageEvents(session, campaign_id, run_key)
    if events.subscribers.get(EventType.MESSAGE_FAILED) or _FAILED.receivers:
        return events
    return None
