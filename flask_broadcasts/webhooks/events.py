"""What happened → the Flask signal and the webhook deliveries of the organization.

:func:`publish` is the one way an event leaves the engine: in the session's transaction
it stores one delivery per active webhook of the organization that subscribed to the
event (so a delivery exists exactly when the change it tells of was committed); after
the commit it sends the signal and queues the deliveries. :func:`campaign_moved` is what
:func:`~flask_broadcasts.engine.runs.change_status` calls for every status change.
Message events are batched by :class:`~flask_broadcasts.webhooks.messages.MessageEvents`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from flask import current_app
from sqlalchemy import Table, insert, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from .. import signals
from ..models import BroadcastWebhook, BroadcastWebhookDelivery, utcnow
from ..state import get_state
from ..statuses import CampaignStatus, EventType, StatusReason, WebhookDeliveryStatus
from .after_commit import after_commit
from .signing import new_event_id

__all__ = ["campaign_event", "campaign_moved", "publish", "store_deliveries", "subscribers"]

# DeclarativeBase types ``__table__`` as a FromClause; on a declarative class it is always a Table.
_webhooks: Table = BroadcastWebhook.__table__  # type: ignore[assignment]
_deliveries: Table = BroadcastWebhookDelivery.__table__  # type: ignore[assignment]
_C = CampaignStatus


def campaign_event(
    target: CampaignStatus, sources: Iterable[CampaignStatus], values: Mapping[str, Any]
) -> EventType | None:
    """The event a guarded move to ``target`` from one of ``sources`` (with ``values`` set) is.

    The engine's moves, told apart by what they may come from: a start or a fire time
    (from ``draft``/``scheduled`` to ``pending``), a resume (only from ``paused``), a stop
    (to ``draft`` with ``status_reason`` ``stopped``), a run's end (``completed``, or back
    to ``scheduled`` with ``completed_at`` set for a recurring campaign). Others (the
    materialization's ``pending`` → ``in-progress``, a reschedule) are not events.
    """
    sources = set(sources)
    if target is _C.PAUSED:
        return EventType.CAMPAIGN_PAUSED
    if target is _C.FAILED:
        return EventType.CAMPAIGN_FAILED
    if target is _C.COMPLETED or (target is _C.SCHEDULED and values.get("completed_at") is not None):
        return EventType.CAMPAIGN_COMPLETED
    if target is _C.DRAFT and values.get("status_reason") == StatusReason.STOPPED.value:
        return EventType.CAMPAIGN_STOPPED
    if target.is_running and sources == {_C.PAUSED}:
        return EventType.CAMPAIGN_RESUMED
    if target is _C.PENDING and _C.PAUSED not in sources:
        return EventType.CAMPAIGN_STARTED
    return None


def campaign_moved(
    session: Session,
    row: Row[Any],
    target: CampaignStatus,
    sources: Iterable[CampaignStatus],
    values: Mapping[str, Any],
) -> None:
    """A campaign's status changed to ``target`` (``row``: the campaign after it): publish its event."""
    event = campaign_event(target, sources, values)
    if event is None:
        return
    publish(
        session,
        event,
        str(row.organization_id),
        {
            "campaign_id": row.id,
            "run_key": row.run_key,
            "status": row.status,
            "status_reason": row.status_reason,
            "sent_count": row.sent_count,
            "failed_count": row.failed_count,
            "total_count": row.total_count,
        },
    )


def publish(session: Session, event: EventType, organization_id: str, data: Mapping[str, Any]) -> None:
    """Store the deliveries of ``event`` now; send its signal and queue them after the commit."""
    data = {"organization_id": organization_id, **data}
    ids = store_deliveries(session, organization_id, event, [data], subscribers(session, organization_id, event))
    app = current_app._get_current_object()  # type: ignore[attr-defined]

    def told() -> None:
        signals.send(signals.signal_for(event), app, **data)
        queue_deliveries(ids)

    after_commit(session, told)


def subscribers(session: Session, organization_id: str, event: EventType) -> list[int]:
    """The active webhooks of the organization that subscribed to ``event``."""
    rows = session.execute(
        select(_webhooks.c.id, _webhooks.c.events).where(
            _webhooks.c.organization_id == organization_id, _webhooks.c.active.is_(True)
        )
    ).all()
    return [row.id for row in rows if event.value in (row.events or ())]


def body_of(event: EventType, data: Mapping[str, Any]) -> str:
    """The JSON body of a delivery: ``{"type", "timestamp", "data"}`` (what is signed and sent)."""
    document = {"type": event.value, "timestamp": utcnow().isoformat().replace("+00:00", "Z"), "data": data}
    return json.dumps(document, separators=(",", ":"), default=str)


def store_deliveries(
    session: Session,
    organization_id: str,
    event: EventType,
    bodies: Sequence[Mapping[str, Any]],
    webhook_ids: Sequence[int],
) -> list[int]:
    """One pending delivery per webhook and body (in the session's transaction); their ids."""
    ids: list[int] = []
    now = utcnow()
    for data in bodies:
        payload = body_of(event, data)
        event_id = new_event_id()
        for webhook_id in webhook_ids:
            ids.append(
                session.execute(
                    insert(_deliveries)
                    .values(
                        organization_id=organization_id,
                        webhook_id=webhook_id,
                        event_type=event.value,
                        event_id=event_id,
                        payload=payload,
                        status=WebhookDeliveryStatus.PENDING.value,
                        attempts=0,
                        created_at=now,
                        next_attempt_at=now,
                    )
                    .returning(_deliveries.c.id)
                ).scalar_one()
            )
    return ids


def queue_deliveries(ids: Iterable[int]) -> None:
    """Queue the first attempt of each delivery (after the commit that stored them)."""
    queue = get_state().webhook_queue
    for delivery_id in ids:
        queue.deliver(delivery_id)
