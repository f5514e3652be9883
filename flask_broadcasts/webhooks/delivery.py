"""One attempt of one webhook delivery, its retries, giving up, and the sweep of overdue ones.

At least once: a delivery is ``pending`` until a 2xx answer (then ``delivered``). Each
attempt first takes a short lease on the row (its ``next_attempt_at`` moved past the
request's timeout), so two jobs for the same delivery never both send it, and a worker
killed mid-request leaves a delivery the sweep queues again once the lease is over. A
failed attempt (no answer, a timeout, any non-2xx status — a redirect too, it is never
followed) is retried after the next of ``BROADCASTS_WEBHOOK_RETRY_INTERVALS`` (the last
repeats); once the next attempt would come later than ``BROADCASTS_WEBHOOK_GIVE_UP_AFTER``
after the delivery was made, it is ``failed`` and its webhook is deactivated, with a
``webhook.deactivated`` event. Every attempt goes through the SSRF guard again.
"""

from __future__ import annotations

import http.client
import logging
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, or_, select, update
from sqlalchemy.orm import Session

from ..models import BroadcastWebhook, BroadcastWebhookDelivery, utcnow
from ..outbound import RefusedURL, check_url, parse_networks, request
from ..state import BroadcastsState, get_state
from ..statuses import EventType, WebhookDeliveryStatus
from .events import publish
from .signing import signed_headers

__all__ = ["attempt_delivery", "queue_overdue"]

log = logging.getLogger(__name__)

_D = BroadcastWebhookDelivery
_PENDING = WebhookDeliveryStatus.PENDING.value
#: The most of an answer's body kept in the log's ``error``.
MAX_ERROR = 500
#: Most overdue deliveries one sweep queues again.
SWEEP_LIMIT = 1000


def attempt_delivery(delivery_id: int) -> str:
    """Job body: one attempt of a pending delivery; returns what became of it (its status, or why not)."""
    state = get_state()
    session = state.session
    now = utcnow()
    lease = now + timedelta(seconds=state.settings.webhook_timeout * 3 + 5)
    taken = _rowcount(
        session,
        update(_D)
        .where(
            _D.id == delivery_id,
            _D.status == _PENDING,
            or_(_D.next_attempt_at.is_(None), _D.next_attempt_at <= now),
        )
        .values(next_attempt_at=lease),
    )
    session.commit()
    if not taken:
        return "not due"
    delivery = session.get(_D, delivery_id)
    assert delivery is not None  # it was just taken
    webhook = session.get(BroadcastWebhook, delivery.webhook_id)
    if webhook is None or not webhook.active:
        _finish(session, delivery, WebhookDeliveryStatus.FAILED, error="The webhook is not active.")
        return WebhookDeliveryStatus.FAILED.value
    status, duration, error = _send(state, webhook, delivery, now)
    delivery.attempts += 1
    delivery.last_attempt_at = now
    delivery.response_status = status
    delivery.duration_ms = None if duration is None else int(duration * 1000)
    if status is not None and 200 <= status < 300:
        _finish(session, delivery, WebhookDeliveryStatus.DELIVERED, error=None)
        return WebhookDeliveryStatus.DELIVERED.value
    settings = state.settings
    intervals = list(settings.webhook_retry_intervals) or [60]
    next_at = utcnow() + timedelta(seconds=float(intervals[min(delivery.attempts - 1, len(intervals) - 1)]))
    if next_at > delivery.created_at + timedelta(seconds=settings.webhook_give_up_after):
        _finish(session, delivery, WebhookDeliveryStatus.FAILED, error=error)
        deactivate(session, webhook, now)
        session.commit()
        return WebhookDeliveryStatus.FAILED.value
    delivery.error = error
    delivery.next_attempt_at = next_at
    session.commit()
    state.webhook_queue.deliver(delivery_id, at=next_at)
    return _PENDING


def _send(
    state: BroadcastsState, webhook: BroadcastWebhook, delivery: BroadcastWebhookDelivery, now: datetime
) -> tuple[int | None, float | None, str | None]:
    """(status code, seconds, error) of one request; the status is ``None`` when there was no answer."""
    settings = state.settings
    keys = [webhook.signing_secret]
    if webhook.previous_signing_secret and (webhook.previous_secret_expires_at or now) > now:
        keys.append(webhook.previous_signing_secret)
    headers = {**signed_headers(keys, delivery.event_id, now, delivery.payload), "user-agent": "flask-broadcasts"}
    try:
        checked = check_url(
            webhook.url,
            allow_http=settings.webhook_allow_http,
            allowed_networks=parse_networks(settings.webhook_allowed_networks),
        )
        answer = request(
            checked, body=delivery.payload.encode("utf-8"), headers=headers, timeout=settings.webhook_timeout
        )
    except RefusedURL as exc:
        return None, None, exc.detail
    except (OSError, http.client.HTTPException) as exc:
        return None, None, f"{type(exc).__name__}: {exc}"[:MAX_ERROR] if str(exc) else type(exc).__name__
    error = None
    if not 200 <= answer.status < 300:
        text = answer.body[:MAX_ERROR].decode("utf-8", "replace")
        location = answer.headers.get("location")
        error = f"HTTP {answer.status}" + (f" (redirect to {location[:200]}, not followed)" if location else "")
        error += f": {text}" if text else ""
    return answer.status, answer.duration, error


def _finish(
    session: Session, delivery: BroadcastWebhookDelivery, status: WebhookDeliveryStatus, *, error: str | None
) -> None:
    delivery.status = status.value
    delivery.error = error
    delivery.next_attempt_at = None
    delivery.completed_at = utcnow()
    session.commit()


def deactivate(session: Session, webhook: BroadcastWebhook, now: datetime) -> None:
    """Deactivate a webhook that failed too long: its pending deliveries fail, an event tells."""
    moved = _rowcount(
        session,
        update(BroadcastWebhook)
        .where(BroadcastWebhook.id == webhook.id, BroadcastWebhook.active.is_(True))
        .values(active=False, deactivated_at=now, updated_at=now),
    )
    if not moved:
        return
    session.execute(
        update(_D)
        .where(_D.webhook_id == webhook.id, _D.status == _PENDING)
        .values(
            status=WebhookDeliveryStatus.FAILED.value,
            error="The webhook was deactivated.",
            next_attempt_at=None,
            completed_at=now,
        )
    )
    log.warning("webhook %s (%s) failed for too long and was deactivated", webhook.id, webhook.url)
    publish(
        session,
        EventType.WEBHOOK_DEACTIVATED,
        webhook.organization_id,
        {"webhook_id": webhook.id, "url": webhook.url},
    )


def _rowcount(session: Session, statement: Any) -> int:
    return cast("CursorResult[Any]", session.execute(statement)).rowcount


def queue_overdue(now: datetime | None = None) -> int:
    """Queue again the pending deliveries overdue by more than ``BROADCASTS_RECOVERY_INTERVAL``
    (a lost job, a worker killed mid-request); how many. Part of the recovery sweep."""
    state = get_state()
    now = now or utcnow()
    late = now - timedelta(seconds=state.settings.recovery_interval)
    ids = (
        state.session.execute(
            select(_D.id).where(_D.status == _PENDING, _D.next_attempt_at < late).order_by(_D.id).limit(SWEEP_LIMIT)
        )
        .scalars()
        .all()
    )
    state.session.commit()
    for delivery_id in ids:
        state.webhook_queue.deliver(delivery_id)
    return len(ids)
