"""Stored messages: the listing query of a campaign, one message, and batch loaders for
what a page of messages refers to (host recipients, customers, sent e-mails, campaigns).

Every loader reads with one ``IN`` query per type for the whole page, so a page costs
the same number of queries whatever its size. Host objects are read by primary key
only: the message rows are already scoped to the organization, and their recipient
ids were taken from that organization's audience.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from ..errors import NotFoundError
from ..host import AudienceSource, BookingRecipientMixin, RecipientMixin
from ..models import BroadcastCampaign, BroadcastMessage, BroadcastSentEmail
from ..state import get_state
from ..statuses import MessageStatus
from ._common import parse_id
from .message_texts import fill_texts

__all__ = [
    "customer_source",
    "get_message",
    "load_campaigns",
    "load_customers",
    "load_recipients",
    "load_sent_emails",
    "messages_query",
    "with_texts",
]


def messages_query(
    organization_id: str,
    campaign_id: Any,
    *,
    statuses: Collection[MessageStatus] | None = None,
    address: str | None = None,
) -> sa.Select[BroadcastMessage]:
    """The stored messages of a campaign as a query (the caller sorts and pages it).

    :param statuses: keep only these statuses.
    :param address: keep only the messages to this e-mail address (compared without case:
        the domain has none, and hosts rarely keep a local part's) or this mobile number.
    :raises NotFoundError: no such campaign in this organization.
    """
    pk = parse_id(campaign_id)
    exists = pk is not None and get_state().session.scalar(
        sa.select(BroadcastCampaign.id).where(
            BroadcastCampaign.id == pk, BroadcastCampaign.organization_id == str(organization_id)
        )
    )
    if not exists:
        raise NotFoundError(f"No campaign {campaign_id} in this organization.", code="not_found")
    stmt = sa.select(BroadcastMessage).where(
        BroadcastMessage.campaign_id == pk, BroadcastMessage.organization_id == str(organization_id)
    )
    if statuses:
        stmt = stmt.where(BroadcastMessage.status.in_([MessageStatus(s).value for s in statuses]))
    if address:
        address = address.strip()
        stmt = stmt.where(
            sa.or_(sa.func.lower(BroadcastMessage.email) == address.lower(), BroadcastMessage.mobile == address)
        )
    return stmt


def get_message(organization_id: str, message_id: Any) -> BroadcastMessage:
    """Stored message ``message_id`` of the organization.

    :raises NotFoundError: no such message in this organization.
    """
    pk = parse_id(message_id)
    message = None
    if pk is not None:
        message = get_state().session.scalar(
            sa.select(BroadcastMessage).where(
                BroadcastMessage.id == pk, BroadcastMessage.organization_id == str(organization_id)
            )
        )
    if message is None:
        raise NotFoundError(f"No message {message_id} in this organization.", code="not_found")
    fill_texts(get_state().session, [message])
    return message


def with_texts(messages: Sequence[BroadcastMessage]) -> Sequence[BroadcastMessage]:
    """A page of loaded messages with their texts (compact ones rendered from their run's content)."""
    fill_texts(get_state().session, messages)
    return messages


# -- batch loaders --------------------------------------------------------------------------


def _customer_model(model: type[RecipientMixin]) -> type[RecipientMixin] | None:
    """The model of the customer behind a recipient of ``model``: itself, or a booking's ``customer_model``."""
    if issubclass(model, BookingRecipientMixin):
        return getattr(model, "customer_model", None)
    return model


def customer_source(recipient_type: str | None = None) -> AudienceSource | None:
    """The source of the customers behind recipients of ``recipient_type`` (it serializes
    ``include=customer`` and names the linkage's type).

    Found by model, not by name, so a host whose customers are ``clients`` (binding type
    ``client``) is served as one whose customers are ``customers``: a customer is its own
    customer, a booking's is its ``customer_model``. Without ``recipient_type``, the first
    registered source that has one.
    """
    extension = get_state().extension
    sources = list(extension.sources())
    recipients = extension.source_for_resource_type(recipient_type) if recipient_type else None
    for source in [recipients] if recipients is not None else sources:
        model = _customer_model(source.model)
        found = next((s for s in sources if s.model is model), None)
        if found is not None:
            return found
    return None


def _key(value: str, column: Any) -> Any:
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    try:
        return python_type(value)
    except (TypeError, ValueError):
        return None


def _load_hosts(source: AudienceSource, ids: Iterable[str]) -> dict[str, RecipientMixin]:
    """Host objects of ``source`` by id (string), in ONE query."""
    (pk,) = sa.inspect(source.model).primary_key
    keys = {key for key in (_key(i, pk) for i in set(ids)) if key is not None}
    if not keys:
        return {}
    rows = get_state().session.scalars(sa.select(source.model).where(pk.in_(keys)).options(*source.load_options)).all()
    return {row.broadcast_id: row for row in rows}


def load_recipients(messages: Sequence[BroadcastMessage]) -> dict[tuple[str, str], RecipientMixin]:
    """The host recipients of ``messages`` by ``(recipient_type, recipient_id)``: one query per type.

    A recipient the host deleted since is simply missing from the result.
    """
    extension = get_state().extension
    by_type: dict[str, set[str]] = {}
    for message in messages:
        by_type.setdefault(message.recipient_type, set()).add(message.recipient_id)
    found: dict[tuple[str, str], RecipientMixin] = {}
    for resource_type, ids in by_type.items():
        source = extension.source_for_resource_type(resource_type)
        if source is None:
            continue
        for recipient_id, obj in _load_hosts(source, ids).items():
            found[(resource_type, recipient_id)] = obj
    return found


def load_customers(
    messages: Sequence[BroadcastMessage], known: Mapping[tuple[str, str], RecipientMixin] | None = None
) -> dict[tuple[str, str], RecipientMixin]:
    """The customers of ``messages`` by ``(resource type, customer_id)``, in at most one query
    per customer source (:func:`customer_source` of each message's recipient type).

    :param known: recipients already loaded (:func:`load_recipients`); customers among
        them are not read again.
    """
    wanted: dict[str, tuple[AudienceSource, set[str]]] = {}
    for message in messages:
        if message.customer_id and (source := customer_source(message.recipient_type)) is not None:
            wanted.setdefault(source.resource_type, (source, set()))[1].add(message.customer_id)
    found = {key: obj for key, obj in (known or {}).items() if key[0] in wanted}
    for resource_type, (source, ids) in wanted.items():
        missing = {i for i in ids if (resource_type, i) not in found}
        found.update(((resource_type, i), obj) for i, obj in _load_hosts(source, missing).items())
    return found


def load_sent_emails(messages: Sequence[BroadcastMessage]) -> dict[int, BroadcastSentEmail]:
    """The tracked e-mail of each message that has one, by message id, in one query."""
    ids = [m.id for m in messages]
    if not ids:
        return {}
    rows = (
        get_state().session.scalars(sa.select(BroadcastSentEmail).where(BroadcastSentEmail.message_id.in_(ids))).all()
    )
    return {row.message_id: row for row in rows}


def load_campaigns(messages: Sequence[BroadcastMessage]) -> dict[int, BroadcastCampaign]:
    """The campaigns of ``messages`` by id, in one query (the identity map answers repeats)."""
    ids = {m.campaign_id for m in messages}
    if not ids:
        return {}
    stmt = sa.select(BroadcastCampaign).where(BroadcastCampaign.id.in_(ids))
    # A campaign resource carries its template and audience linkage: load them with it.
    stmt = stmt.options(selectinload(BroadcastCampaign.template), selectinload(BroadcastCampaign.audience))
    rows = get_state().session.scalars(stmt).all()
    return {row.id: row for row in rows}
