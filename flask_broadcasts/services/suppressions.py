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

from collections.abc import Collection, Mapping
from typing import Any

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..errors import ConflictError
from ..models import BroadcastSuppression, utcnow
from ..rendering.numbers import UnusableNumber, e164
from ..state import get_state
from ..statuses import SuppressionReason, SuppressionSource
from ._common import Problems, get_scoped, pointer

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

#: The channels a suppression may name.
CHANNELS: tuple[str, ...] = ("mail", "sms")
MAX_ADDRESS_LENGTH = 320


def normalize_address(channel: str, address: str) -> str:
    """The stored form of ``address``: an e-mail address lower-cased, a mobile number in E.164.

    :raises ValueError: an address no message of the channel could have (its text says why).
    """
    text = address.strip()
    if channel == "sms":
        try:
            return e164(text)
        except UnusableNumber as problem:
            raise ValueError(f"Not a mobile number in E.164 form: {problem.detail}.") from None
    if channel != "mail":
        raise ValueError(f"Unknown channel {channel!r}.")
    local, at, domain = text.rpartition("@")
    if not at or not local or not domain or any(ch.isspace() or ord(ch) < 0x20 for ch in text):
        raise ValueError("Not an e-mail address.")
    if len(text) > MAX_ADDRESS_LENGTH:
        raise ValueError(f"Longer than {MAX_ADDRESS_LENGTH} characters.")
    return text.lower()


def suppress(
    organization_id: str,
    channel: str,
    address: str,
    reason: SuppressionReason | str,
    source: Mapping[str, Any],
    *,
    commit: bool = True,
) -> bool:
    """Put ``address`` on the organization's list for ``channel``; ``True`` when it was not there.

    :param reason: a :class:`~flask_broadcasts.statuses.SuppressionReason`.
    :param source: ``{"kind": <SuppressionSource>, "id": <its id or None>}``.
    :raises ValueError: ``address`` is not one of the channel (see :func:`normalize_address`),
        or an unknown reason or source kind.
    """
    reason = SuppressionReason(reason)
    kind = SuppressionSource(source["kind"])
    source_id = source.get("id")
    session = get_state().session
    # ON CONFLICT DO NOTHING (spelled alike by both dialects): concurrent clicks add one row.
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    inserted = session.execute(
        insert(BroadcastSuppression)
        .values(
            organization_id=str(organization_id),
            channel=channel,
            address=normalize_address(channel, address),
            reason=reason.value,
            source_kind=kind.value,
            source_id=None if source_id is None else str(source_id)[:64],
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["organization_id", "channel", "address"])
        .returning(BroadcastSuppression.id)
    ).first()
    if commit:
        session.commit()
    return inserted is not None


def suppressed_by_channel(
    session: Session, organization_id: str, wanted: Mapping[str, Collection[str]]
) -> dict[str, set[str]]:
    """Per channel, which of ``wanted[channel]`` (normalized addresses) are on the list: one query."""
    conditions = [
        and_(BroadcastSuppression.channel == channel, BroadcastSuppression.address.in_(sorted(set(found))))
        for channel, found in wanted.items()
        if found
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


def has_suppressions(session: Session, organization_id: str) -> bool:
    """Whether the organization's list has any address at all (one probe of the unique index)."""
    return bool(
        session.execute(
            select(BroadcastSuppression.id).where(BroadcastSuppression.organization_id == str(organization_id)).limit(1)
        ).first()
    )


def suppressed_addresses(session: Session, organization_id: str, channel: str, addresses: Collection[str]) -> set[str]:
    """Which of ``addresses`` (already normalized) are on the organization's list for ``channel``.

    One ``IN`` query answered by the unique index; nothing is asked for an empty collection.
    """
    if not addresses:
        return set()
    rows = session.execute(
        select(BroadcastSuppression.address).where(
            BroadcastSuppression.organization_id == str(organization_id),
            BroadcastSuppression.channel == channel,
            BroadcastSuppression.address.in_(sorted(set(addresses))),
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
        forms = set()
        for name in (channel,) if channel else CHANNELS:
            try:
                forms.add(normalize_address(name, address))
            except ValueError:
                continue
        stmt = stmt.where(BroadcastSuppression.address.in_(sorted(forms)))
    return stmt


def create_suppression(organization_id: str, values: Mapping[str, Any]) -> BroadcastSuppression:
    """A user adds an address (``reason`` ``manual`` only). 422 at the attribute; 409 ``already_suppressed``."""
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
    if not suppress(organization_id, channel, normalized, SuppressionReason.MANUAL, {"kind": "user", "id": None}):
        raise ConflictError(f"{normalized} is already suppressed for {channel}.", code="already_suppressed")
    session = get_state().session
    return session.execute(
        select(BroadcastSuppression).where(
            BroadcastSuppression.organization_id == str(organization_id),
            BroadcastSuppression.channel == channel,
            BroadcastSuppression.address == normalized,
        )
    ).scalar_one()


def delete_suppression(organization_id: str, suppression_id: Any) -> None:
    """Take an address off the list: the next runs send to it again."""
    suppression = get_suppression(organization_id, suppression_id)
    session = get_state().session
    session.delete(suppression)
    session.commit()
