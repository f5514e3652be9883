"""Sending obeys the suppression list: when a run stores its messages, and again at each claim.

A suppressed channel leaves the message's ``channels`` and its status says ``suppressed``;
a message left with no channel is ``failed`` with ``error_code`` ``suppressed``. The
check at materialization is what the preview shows; the one at claim time is what makes an
unsubscribe committed while the run is in progress reach every batch claimed after it.
Both are one query per chunk or batch, for every channel at once (the unique index answers it).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from types import SimpleNamespace
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from ..events import publish_campaign
from ..rendering.numbers import UnusableNumber, e164
from ..services.suppressions import suppress, suppressed_by_channel
from ..state import get_state
from ..statuses import ChannelStatus, ErrorCode, MessageStatus, SuppressionReason, SuppressionSource
from ..webhooks.messages import announce
from .event_order import in_commit_order
from .runs import add_to_counters, progress_crossed
from .tables import OPEN_RUN, campaigns, messages

__all__ = ["SUPPRESSED", "address_of", "apply_to_values", "count_suppressed", "drop_suppressed", "suppress_opted_out"]

#: ``error_code`` (and channel status) of what the list left out.
SUPPRESSED = ErrorCode.SUPPRESSED.value
_CHANNEL_SUPPRESSED = ChannelStatus.SUPPRESSED.value


def address_of(channel: str, email: str | None, mobile: str | None) -> str | None:
    """The normalized address a message has for ``channel`` (as the list stores it), or ``None``."""
    if channel == "mail":
        # ``or None``: an address of spaces only is none (lower() never empties a text).
        return (email.strip().lower() or None) if email else None
    try:
        return e164(mobile)
    except UnusableNumber:
        return None


#: A message's ``(channels, email, mobile)``: what the list is asked about.
_Recipient = tuple[Any, Any, Any]


def _suppressed(session: Session, organization_id: str, recipients: Iterable[_Recipient]) -> dict[str, set[str]]:
    """Per channel, the suppressed addresses among ``recipients``."""
    wanted: dict[str, set[str]] = {"mail": set(), "sms": set()}
    for channels, email, mobile in recipients:
        for channel in channels or ():
            address = address_of(channel, email, mobile)
            if address is not None and channel in wanted:
                wanted[channel].add(address)
    return suppressed_by_channel(session, organization_id, wanted)


def _of_values(items: Iterable[dict[str, Any]]) -> Iterable[_Recipient]:
    return ((item["channels"], item["email"], item["mobile"]) for item in items)


def _recipients_of(batch: Sequence[Any]) -> Iterable[_Recipient]:
    """The recipients of a claimed batch (plain objects, engine.claims; result rows read alike)."""
    return ((row.channels, row.email, row.mobile) for row in batch)


def _left_out(item: Any, suppressed: dict[str, set[str]]) -> list[str]:
    return [
        channel
        for channel in item["channels"] or ()
        if item.get(f"{channel}_status") is None
        and address_of(channel, item["email"], item["mobile"]) in suppressed.get(channel, ())
    ]


def count_suppressed(session: Session, organization_id: str, items: Sequence[dict[str, Any]]) -> int:
    """How many of ``items`` (``channels``, ``email``, ``mobile``) have a suppressed channel."""
    suppressed = _suppressed(session, organization_id, _of_values(items))
    if not any(suppressed.values()):
        return 0
    return sum(1 for item in items if _left_out(item, suppressed))


def apply_to_values(session: Session, organization_id: str, rows: Sequence[dict[str, Any]]) -> int:
    """Take the suppressed channels out of message values about to be stored (or previewed).

    Changes ``rows`` in place and returns how many had a channel left out. Every row gets
    ``mail_status`` and ``sms_status`` keys (``COPY`` needs the same columns in each row).
    """
    suppressed = _suppressed(session, organization_id, _of_values(rows))
    touched = 0
    for row in rows:
        row.setdefault("mail_status", None)
        row.setdefault("sms_status", None)
        left_out = _left_out(row, suppressed) if any(suppressed.values()) else []
        if not left_out:
            continue
        touched += 1
        row["channels"] = [c for c in row["channels"] if c not in left_out]
        for channel in left_out:
            row[f"{channel}_status"] = _CHANNEL_SUPPRESSED
        if not row["channels"]:
            row.update(status=MessageStatus.FAILED.value, error=SUPPRESSED, error_code=SUPPRESSED)
    return touched


def drop_suppressed(session: Session, campaign_id: int, run_key: str, batch: list[Any]) -> list[Any]:
    """The claimed ``batch`` without what the list now leaves out. Commits when it changed something.

    A message left with nothing to send is settled here (``failed``, ``suppressed``; or
    ``completed`` when an earlier try sent another channel) and counted; one that keeps a
    channel goes on with its ``channels`` narrowed, in the database and in the batch.
    """
    if not batch:
        return batch
    # Most batches lose nothing: their rows go on as they came, none copied.
    suppressed = _suppressed(session, batch[0].organization_id, _recipients_of(batch))
    if not any(suppressed.values()):
        return batch
    kept: list[Any] = []
    sent = failed = touched = 0
    settled: list[tuple[int, MessageStatus, str | None]] = []
    for row in batch:
        item = row._mapping if hasattr(row, "_mapping") else vars(row)
        left_out = _left_out(item, suppressed)
        if not left_out:
            kept.append(row)
            continue
        item = dict(item)  # only a row that changes is copied
        touched += 1
        values: dict[str, Any] = {f"{channel}_status": _CHANNEL_SUPPRESSED for channel in left_out}
        values["channels"] = [c for c in item["channels"] if c not in left_out]
        item.update(values)
        unsettled = [c for c in values["channels"] if item.get(f"{c}_status") is None]
        if unsettled:
            kept.append(SimpleNamespace(**item))
        else:
            accepted = any(item.get(f"{c}_status") == ChannelStatus.SENT.value for c in values["channels"])
            status = MessageStatus.COMPLETED if accepted else MessageStatus.FAILED
            sent, failed = sent + accepted, failed + (not accepted)
            values.update(status=status.value, claimed_by=None, claim_expires_at=None)
            if not accepted:
                values.update(error=SUPPRESSED, error_code=SUPPRESSED)
            settled.append((item["id"], status, None if accepted else SUPPRESSED))
        session.execute(
            update(messages)
            .where(messages.c.id == item["id"], messages.c.status == MessageStatus.PENDING.value)
            .values(**values)
        )
    with in_commit_order(session):  # module event_order: its event among the lanes' own
        row = add_to_counters(session, campaign_id, sent=sent, failed=failed, suppressed=touched)
        session.commit()
        if progress_crossed(row, sent + failed, get_state().settings.event_every):
            publish_campaign(get_state().publisher, row)
    announce(session, campaign_id, run_key, settled)  # message events, as a send's outcomes have
    return kept


def suppress_opted_out(
    session: Session, campaign_id: int, run_key: str, message: Any, channel: str, detail: str
) -> bool:
    """The gateway refused ``message``'s SMS because its recipient opted out of the sender
    (Twilio's 21610: they texted STOP to it): the number gets an ``sms_stop`` suppression in the
    message's organization, as an inbound STOP would give it, and the run counts the message in
    ``suppressed_count`` (its ``sms_status`` is ``suppressed``). Commits; whether it added one.

    Committed before the message's own record: a worker killed between the two leaves the
    suppression (the next runs skip the number) and, at worst, the count one short until the
    run's recount.
    """
    number = address_of(channel, getattr(message, "email", None), message.mobile)
    if channel != "sms" or number is None:
        return False
    provider = (detail or "sms").split(" ", 1)[0][:16]
    added = suppress(
        message.organization_id,
        "sms",
        number,
        SuppressionReason.SMS_STOP,
        {"kind": SuppressionSource.PROVIDER.value, "id": f"{provider}:{message.id}"},
        commit=False,
        message_id=message.id,
        reference=(detail or provider)[:200],
    )
    session.execute(
        update(campaigns)
        .where(
            campaigns.c.id == campaign_id,
            campaigns.c.run_key == run_key,
            campaigns.c.status.in_(OPEN_RUN),
        )
        .values(suppressed_count=campaigns.c.suppressed_count + 1)
    )
    session.commit()
    return added
