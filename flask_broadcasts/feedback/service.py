"""Apply a provider's report to its message, the suppression list and the campaign's counters.

:func:`apply_event` is the one entry point (the webhook views, bounce mail and the
synchronous 5xx of a send all come here). Rules:

- The report finds its message by our id (a verified VERP token), the provider's id, or our
  ``Message-ID``; when it names a recipient, that must be the message's address. Anything
  else is ignored (:attr:`~.Outcome.UNKNOWN`): a provider retries on errors, so the answer
  is a 2xx either way, and it says nothing about whether the message exists.
- Every report applied is stored once (``broadcast_feedback_events``, unique per provider
  and event key): the same report again is :attr:`~.Outcome.DUPLICATE` and changes nothing.
- Statuses only move forward, through guarded ``UPDATE ... WHERE`` taken from the
  transitions tables: ``delivered`` moves ``mail_status`` ``sent → delivered`` and the
  message ``completed → delivered``; a hard bounce moves ``mail_status`` ``sent → bounced``,
  sets ``error_code`` ``bounced`` and fails a ``completed`` message no other channel
  reached; after ``delivered`` it moves nothing and still suppresses. A complaint sets
  ``error_code`` ``complained`` (when it had none) and never moves the status.
- Suppressions go on the message's organization's list, for the message's own address.
- Counters are deltas in one ``UPDATE`` (``x = x + 1``) of the campaign while its current
  run is the message's, and of the run's row once it completed — the same rule as
  :mod:`~flask_broadcasts.engine.delivery_status`; recounts (:func:`run_figures`) agree.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import CursorResult, and_, func, select, update
from sqlalchemy.orm import Session

from ..engine.guard import check_run
from ..engine.report_counts import Deltas, add_report_counts, hour_key, moved
from ..engine.tables import campaigns, dialect_insert, messages, runs, sent_emails
from ..models import BroadcastFeedbackEvent, utcnow
from ..services.suppressions import suppress
from ..state import get_state
from ..statuses import (
    ChannelStatus,
    ErrorCode,
    EventType,
    MessageStatus,
    SuppressionReason,
    SuppressionSource,
    channel_statuses_from,
    message_statuses_from,
)
from ..webhooks.events import publish
from .events import FeedbackEvent, FeedbackKind, Outcome, event_key

__all__ = ["apply_event", "apply_events"]

_events = BroadcastFeedbackEvent.__table__
#: Where an event's report counts wait until the end of its transaction (``Session.info``).
_REPORT_KEY = "broadcasts.report_deltas"
_ACCEPTED = (ChannelStatus.SENT.value, ChannelStatus.DELIVERED.value)
_EVENT_OF = {
    FeedbackKind.DELIVERED: EventType.MESSAGE_DELIVERED,
    FeedbackKind.HARD_BOUNCE: EventType.MESSAGE_BOUNCED,
    FeedbackKind.SOFT_BOUNCE: EventType.MESSAGE_BOUNCED,
    FeedbackKind.COMPLAINT: EventType.MESSAGE_COMPLAINED,
}
#: The reports that may push a run over a deliverability guard's limit.
_GUARDED = (FeedbackKind.HARD_BOUNCE, FeedbackKind.COMPLAINT)


@dataclass(frozen=True)
class _Message:
    id: int
    organization_id: str
    campaign_id: int
    run_key: str
    email: str | None


def _find(session: Session, event: FeedbackEvent) -> _Message | None:
    columns = (messages.c.id, messages.c.organization_id, messages.c.campaign_id, messages.c.run_key, messages.c.email)
    candidates = []
    if event.message_id is not None:
        candidates.append(select(*columns).where(messages.c.id == event.message_id))
    if event.provider_message_id:
        candidates.append(select(*columns).where(messages.c.provider_message_id == event.provider_message_id[:64]))
    for header in (event.message_id_header, event.provider_message_id):
        bare = (header or "").strip().strip("<>")
        if bare:
            candidates.append(
                select(*columns)
                .join(sent_emails, sent_emails.c.message_id == messages.c.id)
                .where(sent_emails.c.message_id_header.in_((bare[:254], f"<{bare[:253]}>")))
            )
    for stmt in candidates:
        row = session.execute(stmt.order_by(messages.c.id.desc()).limit(1)).first()
        if row is not None:
            return _Message(row.id, str(row.organization_id), row.campaign_id, row.run_key, row.email)
    return None


def _same_address(message: _Message, address: str | None) -> bool:
    if not message.email:
        return False
    return address is None or address.strip().lower() == message.email.strip().lower()


def apply_events(events: list[FeedbackEvent]) -> list[Outcome]:
    """:func:`apply_event` for each report, in order; what each came to."""
    return [apply_event(event) for event in events]


def apply_event(event: FeedbackEvent) -> Outcome:
    """Apply one report in its own short transaction (committed here). Never raises for an
    unknown message or a repeated report: see :class:`~.events.Outcome`."""
    session = get_state().session
    try:
        message = _find(session, event)
        if message is None or not _same_address(message, event.address):
            session.rollback()
            return Outcome.UNKNOWN
        assert message.email is not None  # _same_address
        address = message.email.strip().lower()
        if not _record(session, event, message, address):
            session.rollback()
            return Outcome.DUPLICATE
        session.info.pop(_REPORT_KEY, None)
        data = _APPLY[event.kind](session, event, message, address)
        _add_report_counts(session, message)
        publish(
            session,
            _EVENT_OF[event.kind],
            message.organization_id,
            {
                "message_id": message.id,
                "campaign_id": message.campaign_id,
                "channel": "mail",
                "provider": event.provider,
                **data,
            },
        )
        session.commit()
    except Exception:
        session.info.pop(_REPORT_KEY, None)
        session.rollback()
        raise
    if event.kind in _GUARDED:
        check_run(message.campaign_id, message.run_key)  # the deliverability guard (engine.guard)
    return Outcome.APPLIED


def _record(session: Session, event: FeedbackEvent, message: _Message, address: str) -> bool:
    inserted = session.execute(
        dialect_insert(session)(_events)
        .values(
            organization_id=message.organization_id,
            message_id=message.id,
            provider=event.provider[:16],
            event_key=event_key(event.provider, event.key),
            kind=event.kind.value,
            address=address,
            detail=event.detail,
            created_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["provider", "event_key"])
        .returning(_events.c.id)
    ).first()
    return inserted is not None


def _rows(result: Any) -> int:
    return cast("CursorResult[Any]", result).rowcount


def _count(session: Session, message: _Message, **deltas: int) -> None:
    """Add ``deltas`` to the counters of the message's run (campaign row while it is the
    current run, the run's row once it completed)."""
    if not deltas:
        return
    session.execute(
        update(campaigns)
        .where(campaigns.c.id == message.campaign_id, campaigns.c.run_key == message.run_key)
        .values({name: campaigns.c[name] + delta for name, delta in deltas.items()})
    )
    session.execute(
        update(runs)
        .where(
            runs.c.campaign_id == message.campaign_id,
            runs.c.run_key == message.run_key,
            runs.c.completed_at.is_not(None),
        )
        .values({name: runs.c[name] + delta for name, delta in deltas.items()})
    )


def _move_mail(session: Session, message: _Message, target: ChannelStatus, **values: Any) -> bool:
    froms = [s.value for s in channel_statuses_from(target)]
    before = session.execute(select(messages.c.mail_status).where(messages.c.id == message.id)).scalar()
    changed = _rows(
        session.execute(
            update(messages)
            .where(messages.c.id == message.id, messages.c.mail_status.in_(froms))
            .values(mail_status=target.value, **values)
        )
    )
    if not changed:
        return False
    # The report's per-channel counts follow the channel (engine.report_counts).
    deltas = _report_deltas(session)
    moved(deltas, "mail", before, target.value, error_code=values.get("error_code"))
    if target is ChannelStatus.DELIVERED:
        deltas[("", "hour_delivered", hour_key())] += 1
    return True


def _report_deltas(session: Session) -> Deltas:
    """The report counts this event adds, written last (:func:`_add_report_counts`)."""
    deltas: Deltas = session.info.setdefault(_REPORT_KEY, Counter())
    return deltas


def _count_event(session: Session, message: _Message, metric: str) -> None:
    """One more ``metric`` (``soft_bounced``, ``complained``) in the report of the message's run."""
    _report_deltas(session)[("mail", metric, "")] += 1


def _add_report_counts(session: Session, message: _Message) -> None:
    """Write the event's report counts: after the campaign's counters, so every transaction
    that touches both (a run's completion recounts them) locks them in the same order."""
    deltas = session.info.pop(_REPORT_KEY, None)
    if deltas:
        add_report_counts(session, message.campaign_id, message.run_key, deltas)


def _suppress(event: FeedbackEvent, message: _Message, address: str, reason: SuppressionReason) -> bool:
    source = {"kind": SuppressionSource.PROVIDER.value, "id": f"{event.provider}:{message.id}"}
    # The consent record names the message and the provider (method ``provider``, from the source).
    return suppress(
        message.organization_id,
        "mail",
        address,
        reason,
        source,
        commit=False,
        message_id=message.id,
        reference=event.provider,
    )


def _delivered(session: Session, event: FeedbackEvent, message: _Message, address: str) -> dict[str, Any]:
    _move_mail(session, message, ChannelStatus.DELIVERED)
    froms = [s.value for s in message_statuses_from(MessageStatus.DELIVERED) if s.is_sent]
    moved = _rows(
        session.execute(
            update(messages)
            .where(messages.c.id == message.id, messages.c.status.in_(froms))
            .values(status=MessageStatus.DELIVERED.value)
        )
    )
    if moved:
        _count(session, message, delivered_count=1)
    return {}


def _hard_bounce(session: Session, event: FeedbackEvent, message: _Message, address: str) -> dict[str, Any]:
    error = f"bounced: {event.detail}" if event.detail else "bounced"
    deltas: dict[str, int] = {}
    if _move_mail(session, message, ChannelStatus.BOUNCED, error_code=ErrorCode.BOUNCED.value, error=error):
        deltas["bounced_count"] = 1
        # Fails only when no other channel reached the recipient (as delivery_status does).
        failed = _rows(
            session.execute(
                update(messages)
                .where(
                    messages.c.id == message.id,
                    messages.c.status == MessageStatus.COMPLETED.value,
                    func.coalesce(messages.c.sms_status, "").not_in(_ACCEPTED),
                )
                .values(status=MessageStatus.FAILED.value)
            )
        )
        if failed:
            deltas.update(sent_count=-1, failed_count=1)
    _count(session, message, **deltas)
    suppressed = _suppress(event, message, address, SuppressionReason.BOUNCED)
    return {"bounce": "hard", "suppressed": suppressed}


def _soft_bounce(session: Session, event: FeedbackEvent, message: _Message, address: str) -> dict[str, Any]:
    # Consecutive: the distinct messages that soft-bounced since the address's last delivery.
    org_address = and_(_events.c.organization_id == message.organization_id, _events.c.address == address)
    last_delivery = (
        select(func.coalesce(func.max(_events.c.id), 0))
        .where(org_address, _events.c.kind == FeedbackKind.DELIVERED.value)
        .scalar_subquery()
    )
    streak = session.execute(
        select(func.count(func.distinct(_events.c.message_id))).where(
            org_address, _events.c.kind == FeedbackKind.SOFT_BOUNCE.value, _events.c.id > last_delivery
        )
    ).scalar_one()
    _count_event(session, message, "soft_bounced")
    suppressed = False
    if streak >= get_state().settings.soft_bounce_limit:
        suppressed = _suppress(event, message, address, SuppressionReason.BOUNCED)
    return {"bounce": "soft", "suppressed": suppressed}


def _complaint(session: Session, event: FeedbackEvent, message: _Message, address: str) -> dict[str, Any]:
    marked = _rows(
        session.execute(
            update(messages)
            .where(messages.c.id == message.id, messages.c.error_code.is_(None))
            .values(error_code=ErrorCode.COMPLAINED.value)
        )
    )
    if marked:
        _count(session, message, complained_count=1)
        _count_event(session, message, "complained")
    suppressed = _suppress(event, message, address, SuppressionReason.COMPLAINED)
    return {"suppressed": suppressed}


_APPLY = {
    FeedbackKind.DELIVERED: _delivered,
    FeedbackKind.HARD_BOUNCE: _hard_bounce,
    FeedbackKind.SOFT_BOUNCE: _soft_bounce,
    FeedbackKind.COMPLAINT: _complaint,
}
