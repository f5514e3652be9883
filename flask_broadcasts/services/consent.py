"""Consent records: the append-only history that lets an organization demonstrate consent.

GDPR Art. 7(1) asks the sender to be able to *demonstrate* consent and 7(3) withdrawing
it to be as easy as giving it; the UK ICO expects a record of who, when and how. Every
change of an address's standing appends one :class:`~flask_broadcasts.models.BroadcastConsentEvent`
— an unsubscribe (one-click or the page), a suppression added by a user or an import, a
provider's bounce or complaint, a re-subscribe — and nothing ever updates or deletes one
(the purge keeps them unless asked), so a re-subscribe never erases the unsubscribe
before it.

:func:`~flask_broadcasts.services.suppressions.suppress` records for every suppression
it adds; :func:`record` is there for whatever changes consent another way. The rest is
the read side of ``/broadcast-consent-events``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select

from ..models import BroadcastConsentEvent, utcnow
from ..signing import TokenKind, keyed_digest
from ..state import get_state
from ..statuses import ConsentAction, ConsentMethod, SuppressionReason
from ._common import get_scoped
from .addresses import address_forms, normalize_address

__all__ = ["IP_DIGEST", "get_consent_event", "list_consent_events", "record"]

#: The key's salt of ``ip_hmac``: the requester's IP is kept only as this keyed digest.
IP_DIGEST = TokenKind("flask-broadcasts.consent-ip")


def record(
    organization_id: str,
    channel: str,
    address: str,
    action: ConsentAction | str,
    method: ConsentMethod | str,
    *,
    reason: SuppressionReason | str | None = None,
    message_id: int | None = None,
    user_id: Any = None,
    reference: str | None = None,
    ip: str | None = None,
    commit: bool = True,
) -> BroadcastConsentEvent:
    """Append one consent record (in the caller's transaction when ``commit`` is false).

    :param action: ``withdrawn`` or ``given`` (:class:`~flask_broadcasts.statuses.ConsentAction`).
    :param method: how (:class:`~flask_broadcasts.statuses.ConsentMethod`): ``one_click``,
        ``page``, ``api``, ``import``, ``provider``.
    :param reason: for a withdrawal, the suppression's reason (``bounced``, ``complained`` ...).
    :param message_id: the message whose link was followed, or that the provider reported on.
    :param user_id: the host user who acted (stored as text).
    :param reference: the provider's reference, or the imported file's name.
    :param ip: the requester's IP: only its keyed HMAC is stored.
    :raises ValueError: an address that is none of the channel's, or an unknown action, method or reason.
    """
    event = BroadcastConsentEvent(
        organization_id=str(organization_id),
        channel=channel,
        address=normalize_address(channel, address),
        action=ConsentAction(action).value,
        method=ConsentMethod(method).value,
        reason=None if reason is None else SuppressionReason(reason).value,
        message_id=None if message_id is None else int(message_id),
        user_id=None if user_id is None else str(user_id)[:64],
        reference=None if reference is None else str(reference)[:200],
        ip_hmac=keyed_digest(IP_DIGEST, ip) if ip else None,
        created_at=utcnow(),
    )
    session = get_state().session
    session.add(event)
    if commit:
        session.commit()
    else:
        session.flush()
    return event


def get_consent_event(organization_id: str, event_id: Any) -> BroadcastConsentEvent:
    """The record ``event_id`` of the organization, else :class:`NotFoundError` (another's too)."""
    return get_scoped(BroadcastConsentEvent, organization_id, event_id, "broadcast consent event")


def list_consent_events(
    organization_id: str,
    *,
    channel: str | None = None,
    address: str | None = None,
    action: str | None = None,
    method: str | None = None,
) -> Select:
    """The ``Select`` of the organization's records, filtered; the caller sorts and pages.

    ``address`` is matched in its stored form, as for the suppression list.
    """
    stmt = select(BroadcastConsentEvent).where(BroadcastConsentEvent.organization_id == str(organization_id))
    if channel is not None:
        stmt = stmt.where(BroadcastConsentEvent.channel == channel)
    if action is not None:
        stmt = stmt.where(BroadcastConsentEvent.action == action)
    if method is not None:
        stmt = stmt.where(BroadcastConsentEvent.method == method)
    if address is not None:
        stmt = stmt.where(BroadcastConsentEvent.address.in_(address_forms(channel, address)))
    return stmt
