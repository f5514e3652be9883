"""Webhooks and their delivery log: create, read, list, update, delete, rotate the secret, redeliver.

Scoped to an organization like every service (another organization's webhook is a 404).
A URL is checked by the SSRF guard at creation and on every change (422 at
``/data/attributes/url``), and again before every request. The secret is shown once:
the object a creation or a rotation returns carries it in ``secret``; nothing else does.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

from sqlalchemy import Select, select

from ..errors import ConflictError
from ..models import BroadcastWebhook, BroadcastWebhookDelivery, utcnow
from ..outbound import RefusedURL, check_url, parse_networks
from ..services._common import Problems, get_scoped, parse_id, pointer
from ..state import get_state
from ..statuses import EventType, WebhookDeliveryStatus
from .after_commit import after_commit
from .events import queue_deliveries
from .signing import new_secret

__all__ = [
    "ATTRIBUTES",
    "create_webhook",
    "delete_webhook",
    "get_delivery",
    "get_webhook",
    "list_deliveries",
    "list_webhooks",
    "redeliver",
    "rotate_secret",
    "update_webhook",
]

#: Every writable attribute.
ATTRIBUTES = ("url", "events", "active", "description")
MAX_URL = 2000
MAX_DESCRIPTION = 200
#: The event types a webhook may subscribe to.
EVENT_TYPES = tuple(event.value for event in EventType)


def _validate(problems: Problems, values: Mapping[str, Any], *, creating: bool) -> dict[str, Any]:
    clean: dict[str, Any] = {}
    settings = get_state().settings
    if "url" in values or creating:
        url = values.get("url")
        if not isinstance(url, str) or not url:
            problems.add("Required: the https URL to post events to.", pointer("url"), "required")
        elif len(url) > MAX_URL:
            problems.add(f"Must be at most {MAX_URL} characters.", pointer("url"), "too_long")
        else:
            try:
                check_url(
                    url,
                    allow_http=settings.webhook_allow_http,
                    allowed_networks=parse_networks(settings.webhook_allowed_networks),
                )
                clean["url"] = url
            except RefusedURL as exc:
                problems.add(exc.detail, pointer("url"), "refused_url")
    if "events" in values or creating:
        events = values.get("events")
        if not isinstance(events, list) or not events:
            problems.add(
                f"Required: a non-empty list of event types ({', '.join(EVENT_TYPES)}).", pointer("events"), "required"
            )
        else:
            for index, event in enumerate(events):
                if event not in EVENT_TYPES:
                    problems.add(
                        f"{event!r} is not an event type ({', '.join(EVENT_TYPES)}).",
                        pointer("events", str(index)),
                        "unknown_event",
                    )
            clean["events"] = list(dict.fromkeys(e for e in events if isinstance(e, str)))
    if "active" in values:
        if not isinstance(values["active"], bool):
            problems.add("Must be true or false.", pointer("active"), "invalid_type")
        else:
            clean["active"] = values["active"]
    if "description" in values:
        description = values["description"]
        if description is not None and not isinstance(description, str):
            problems.add("Must be a string.", pointer("description"), "invalid_type")
        elif description is not None and len(description) > MAX_DESCRIPTION:
            problems.add(f"Must be at most {MAX_DESCRIPTION} characters.", pointer("description"), "too_long")
        else:
            clean["description"] = description
    problems.raise_if_any()
    return clean


def create_webhook(organization_id: str, values: Mapping[str, Any]) -> BroadcastWebhook:
    """A new active webhook; the returned object carries the secret (shown this once)."""
    clean = _validate(Problems(), values, creating=True)
    secret = new_secret()
    webhook = BroadcastWebhook(
        organization_id=str(organization_id),
        url=clean["url"],
        events=clean["events"],
        active=clean.get("active", True),
        description=clean.get("description"),
        signing_secret=secret,
    )
    session = get_state().session
    session.add(webhook)
    session.commit()
    return _showing_secret(webhook, secret)


def _showing_secret(webhook: BroadcastWebhook, secret: str) -> BroadcastWebhook:
    """The webhook, detached from the session, carrying its secret: a later load in the same
    session gets an object of its own, without it."""
    session = get_state().session
    session.refresh(webhook)
    session.expunge(webhook)
    webhook.secret = secret
    return webhook


def list_webhooks(organization_id: str) -> Select[Any]:
    """The organization's webhooks (a statement for the paginator)."""
    return select(BroadcastWebhook).where(BroadcastWebhook.organization_id == str(organization_id))


def get_webhook(organization_id: str, webhook_id: Any) -> BroadcastWebhook:
    """One webhook of the organization (404 otherwise)."""
    return get_scoped(BroadcastWebhook, organization_id, webhook_id, "webhook")


def update_webhook(organization_id: str, webhook_id: Any, values: Mapping[str, Any]) -> BroadcastWebhook:
    """Change ``url``, ``events``, ``active`` or ``description``; ``active: true`` reactivates."""
    webhook = get_webhook(organization_id, webhook_id)
    clean = _validate(Problems(), values, creating=False)
    if clean.get("active") and not webhook.active:
        webhook.deactivated_at = None
    for name, value in clean.items():
        setattr(webhook, name, value)
    get_state().session.commit()
    return webhook


def delete_webhook(organization_id: str, webhook_id: Any) -> None:
    """Delete a webhook and its delivery log."""
    session = get_state().session
    webhook = get_webhook(organization_id, webhook_id)
    session.query(BroadcastWebhookDelivery).filter_by(webhook_id=webhook.id).delete()
    session.delete(webhook)
    session.commit()


def rotate_secret(organization_id: str, webhook_id: Any) -> BroadcastWebhook:
    """A new secret (returned this once); the old one also signs for ``BROADCASTS_WEBHOOK_SECRET_GRACE``."""
    state = get_state()
    webhook = get_webhook(organization_id, webhook_id)
    secret = new_secret()
    grace = state.settings.webhook_secret_grace
    webhook.previous_signing_secret = webhook.signing_secret if grace > 0 else None
    webhook.previous_secret_expires_at = utcnow() + timedelta(seconds=grace) if grace > 0 else None
    webhook.signing_secret = secret
    state.session.commit()
    return _showing_secret(webhook, secret)


def list_deliveries(organization_id: str, *, webhook: str | None = None, status: str | None = None) -> Select[Any]:
    """The organization's delivery log, optionally of one webhook or in one status."""
    stmt = select(BroadcastWebhookDelivery).where(BroadcastWebhookDelivery.organization_id == str(organization_id))
    if webhook is not None:
        stmt = stmt.where(BroadcastWebhookDelivery.webhook_id == (parse_id(webhook) or -1))
    if status is not None:
        stmt = stmt.where(BroadcastWebhookDelivery.status == status)
    return stmt


def get_delivery(organization_id: str, delivery_id: Any) -> BroadcastWebhookDelivery:
    """One delivery of the organization's log (404 otherwise)."""
    return get_scoped(BroadcastWebhookDelivery, organization_id, delivery_id, "webhook delivery")


def redeliver(organization_id: str, delivery_id: Any) -> BroadcastWebhookDelivery:
    """Send a delivery again: a new delivery of the same body and ``webhook-id`` (receivers
    deduplicate on it), queued now.

    :raises ConflictError: ``webhook_inactive``: the webhook is deactivated (reactivate it first).
    """
    session = get_state().session
    original = get_delivery(organization_id, delivery_id)
    webhook = session.get(BroadcastWebhook, original.webhook_id)
    if webhook is None or not webhook.active:
        raise ConflictError("The webhook is not active; set active to true first.", code="webhook_inactive")
    now = utcnow()
    copy = BroadcastWebhookDelivery(
        organization_id=original.organization_id,
        webhook_id=original.webhook_id,
        event_type=original.event_type,
        event_id=original.event_id,
        payload=original.payload,
        status=WebhookDeliveryStatus.PENDING.value,
        attempts=0,
        created_at=now,
        next_attempt_at=now,
    )
    session.add(copy)
    session.flush()
    new_id = copy.id
    after_commit(session, lambda: queue_deliveries([new_id]))
    session.commit()
    return copy
