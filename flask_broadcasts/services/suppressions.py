"""The per-organization suppression list: addresses one channel never sends to.

:func:`suppress` is the one way an address gets on the list, whatever put it there: the
unsubscribe link, a provider's bounce or complaint report, an SMS STOP, a user. It is
idempotent (one row per organization, channel and normalized address) and returns
whether it added a row. The engine asks :func:`suppressed_addresses` when a run stores its
messages and again when a worker claims a batch. The rest is the CRUD behind
``/broadcast-suppressions`` (a user may only add ``manual`` ones; deleting one
re-subscribes the address).
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, any_, literal, or_, select
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..errors import ConflictError
from ..models import BroadcastSuppression, utcnow
from ..state import get_state
from ..statuses import ConsentAction, ConsentMethod, SuppressionReason, SuppressionSource
from . import consent
from ._common import Problems, dialect_insert, get_scoped, pointer
from .addresses import CHANNELS, address_forms, normalize_address

__all__ = [
    "CHANNELS",
    "create_suppression",
    "delete_suppression",
    "get_suppression",
    "list_suppressions",
    "normalize_address",
    "suppress",
    "has_suppressions",
    "suppressed_addresses",
    "suppressed_by_channel",
]
#: The consent record's method of a suppression, by its source's kind.
_METHODS: Mapping[SuppressionSource, ConsentMethod] = {
    SuppressionSource.MESSAGE: ConsentMethod.ONE_CLICK,
    SuppressionSource.PROVIDER: ConsentMethod.PROVIDER,
    SuppressionSource.USER: ConsentMethod.API,
    SuppressionSource.IMPORT: ConsentMethod.IMPORT,
}


def suppress(
    organization_id: str,
    channel: str,
    address: str,
    reason: SuppressionReason | str,
    source: Mapping[str, Any],
    *,
    commit: bool = True,
    method: ConsentMethod | str | None = None,
    message_id: int | None = None,
    user_id: Any = None,
    ip: str | None = None,
    created_at: datetime | None = None,
    reference: str | None = None,
) -> bool:
    """Put ``address`` on the organization's list for ``channel``; ``True`` when it was not there.

    A suppression it adds also appends a consent record (``withdrawn``,
    :func:`~flask_broadcasts.services.consent.record`) in the same transaction; one that
    was already there adds nothing.

    :param reason: a :class:`~flask_broadcasts.statuses.SuppressionReason`.
    :param source: ``{"kind": <SuppressionSource>, "id": <its id or None>}``.
    :param method: the record's :class:`~flask_broadcasts.statuses.ConsentMethod`; by default
        the source's (``message`` → ``one_click``, ``provider``, ``user`` → ``api``, ``import``).
    :param message_id: the message concerned (a ``message`` source's id by default).
    :param user_id: the host user who added it. ``ip``: the requester's (stored as a keyed HMAC).
    :param created_at: when it was suppressed (an import keeps the file's time); now by default.
    :param reference: the record's reference (an imported file's name); by default the source's id.
    :raises ValueError: ``address`` is not one of the channel (see :func:`normalize_address`),
        or an unknown reason or source kind.
    """
    reason = SuppressionReason(reason)
    kind = SuppressionSource(source["kind"])
    source_id = source.get("id")
    normalized = normalize_address(channel, address)
    session = get_state().session
    # ON CONFLICT DO NOTHING: concurrent clicks add one row.
    inserted = session.execute(
        dialect_insert(session)(BroadcastSuppression)
        .values(
            organization_id=str(organization_id),
            channel=channel,
            address=normalized,
            reason=reason.value,
            source_kind=kind.value,
            source_id=None if source_id is None else str(source_id)[:64],
            created_at=created_at or utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "channel", "address"])
        .returning(BroadcastSuppression.id)
    ).first()
    if inserted is not None:
        if message_id is None and kind is SuppressionSource.MESSAGE and source_id is not None:
            message_id = int(source_id)
        consent.record(
            organization_id,
            channel,
            normalized,
            ConsentAction.WITHDRAWN,
            method or _METHODS[kind],
            reason=reason,
            message_id=message_id,
            user_id=user_id,
            reference=reference or (None if kind is SuppressionSource.MESSAGE or source_id is None else str(source_id)),
            ip=ip,
            commit=False,
        )
    if commit:
        session.commit()
    return inserted is not None


def suppressed_by_channel(
    session: Session, organization_id: str, wanted: Mapping[str, Collection[str]]
) -> dict[str, set[str]]:
    """Per channel, which of ``wanted[channel]`` (normalized addresses) are on the list: one query."""
    among = _address_among(session)
    conditions = [
        and_(BroadcastSuppression.channel == channel, among(found)) for channel, found in wanted.items() if found
    ]
    result: dict[str, set[str]] = {channel: set() for channel in wanted}
    if not conditions:
        return result
    rows = session.execute(
        select(BroadcastSuppression.channel, BroadcastSuppression.address).where(
            BroadcastSuppression.organization_id == str(organization_id), or_(*conditions)
        )
    )
    for channel, address in rows:
        result.setdefault(channel, set()).add(address)
    return result


def _address_among(session: Session) -> Callable[[Collection[str]], ColumnElement[bool]]:
    """``address`` is one of a collection, the cheapest way the session's database takes it.

    A claim asks about hundreds of addresses. As ``IN``, each is a bound parameter that
    SQLAlchemy renders into the statement and psycopg splits out again, every time; on
    PostgreSQL one array parameter (``= ANY(:addresses)``) keeps the statement the same
    for any number of them, and the unique index answers it as it answers ``IN``.
    SQLite has no arrays: it keeps ``IN``.
    """
    if session.get_bind().dialect.name == "postgresql":
        return lambda addresses: (
            BroadcastSuppression.address == any_(literal(list(set(addresses)), type_=postgresql.ARRAY(String)))
        )
    return lambda addresses: BroadcastSuppression.address.in_(sorted(set(addresses)))


def has_suppressions(session: Session, organization_id: str) -> bool:
    """Whether the organization's list has any address at all (one probe of the unique index)."""
    return bool(
        session.execute(
            select(BroadcastSuppression.id).where(BroadcastSuppression.organization_id == str(organization_id)).limit(1)
        ).first()
    )


def suppressed_addresses(session: Session, organization_id: str, channel: str, addresses: Collection[str]) -> set[str]:
    """Which of ``addresses`` (already normalized) are on the organization's list for ``channel``.

    One query answered by the unique index; nothing is asked for an empty collection.
    """
    if not addresses:
        return set()
    rows = session.execute(
        select(BroadcastSuppression.address).where(
            BroadcastSuppression.organization_id == str(organization_id),
            BroadcastSuppression.channel == channel,
            _address_among(session)(addresses),
        )
    ).scalars()
    return set(rows)


# -- the resource ------------------------------------------------------------------------------


def get_suppression(organization_id: str, suppression_id: Any) -> BroadcastSuppression:
    """The suppression ``suppression_id`` of the organization, else :class:`NotFoundError`."""
    return get_scoped(BroadcastSuppression, organization_id, suppression_id, "broadcast suppression")


def list_suppressions(
    organization_id: str,
    *,
    channel: str | None = None,
    address: str | None = None,
    reason: str | None = None,
) -> Select:
    """The ``Select`` of the organization's suppressions, filtered; the caller sorts and pages.

    ``address`` is matched in its stored form (an e-mail address in any case finds its row);
    one that is no address of the channel matches nothing.
    """
    stmt = select(BroadcastSuppression).where(BroadcastSuppression.organization_id == str(organization_id))
    if channel is not None:
        stmt = stmt.where(BroadcastSuppression.channel == channel)
    if reason is not None:
        stmt = stmt.where(BroadcastSuppression.reason == reason)
    if address is not None:
        stmt = stmt.where(BroadcastSuppression.address.in_(address_forms(channel, address)))
    return stmt


def create_suppression(organization_id: str, values: Mapping[str, Any], *, user_id: Any = None) -> BroadcastSuppression:
    """A user adds an address (``reason`` ``manual`` only). 422 at the attribute; 409 ``already_suppressed``.

    ``user_id``: the host user, named in the consent record.
    """
    problems = Problems()
    channel = values.get("channel")
    if channel not in CHANNELS:
        problems.add(f"Must be one of: {', '.join(CHANNELS)}.", pointer("channel"), "invalid_channel")
    reason = values.get("reason", SuppressionReason.MANUAL.value)
    if reason != SuppressionReason.MANUAL.value:
        problems.add(
            "Only 'manual' can be added through the API; the other reasons are recorded by the extension.",
            pointer("reason"),
            "invalid_reason",
        )
    address = values.get("address")
    normalized: str | None = None
    if not isinstance(address, str) or not address.strip():
        problems.add("Required: the e-mail address or mobile number.", pointer("address"), "required")
    elif channel in CHANNELS:
        try:
            normalized = normalize_address(channel, address)
        except ValueError as problem:
            problems.add(str(problem), pointer("address"), "invalid_address")
    problems.raise_if_any()
    assert isinstance(channel, str) and normalized is not None  # checked above
    if not suppress(
        organization_id, channel, normalized, SuppressionReason.MANUAL, {"kind": "user", "id": None}, user_id=user_id
    ):
        raise ConflictError(f"{normalized} is already suppressed for {channel}.", code="already_suppressed")
    session = get_state().session
    return session.execute(
        select(BroadcastSuppression).where(
            BroadcastSuppression.organization_id == str(organization_id),
            BroadcastSuppression.channel == channel,
            BroadcastSuppression.address == normalized,
        )
    ).scalar_one()


def delete_suppression(organization_id: str, suppression_id: Any, *, user_id: Any = None) -> None:
    """Take an address off the list (a re-subscribe): the next runs send to it again.

    The consent record of the re-subscribe (``given``, ``api``, ``user_id``) is appended in
    the same transaction; the records of the unsubscribe before it stay.
    """
    suppression = get_suppression(organization_id, suppression_id)
    session = get_state().session
    consent.record(
        organization_id,
        suppression.channel,
        suppression.address,
        ConsentAction.GIVEN,
        ConsentMethod.API,
        user_id=user_id,
        commit=False,
    )
    session.delete(suppression)
    session.commit()
