"""Send-by: a campaign's ``expires_at``, after which its unsent messages fail ``expired``.

A flash sale's campaign must not go out after the sale. Past ``expires_at``, every
message of the run still ``pending`` and not in a worker's hands ends ``failed`` with
``error_code`` ``expired`` — waiting for a quiet-hours window, deferred, throttled, or in
a paused campaign alike — and the run completes. A message of which one channel already
went out keeps that: it ends ``completed``, its other channel never sent.

Who checks: each send batch before it claims (and, between two messages, the batch in
hand: the rest of its claim goes back and fails the same way), and the recovery sweep
for runs no send job visits (paused, throttled, waiting for a window).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session

from ..events import ProgressPublisher, publish_campaign
from ..models import utcnow
from ..statuses import ChannelStatus, ErrorCode, MessageStatus
from ..webhooks.messages import announce
from .completion import complete_run_if_done
from .runs import add_to_counters, progress_crossed
from .tables import OPEN_RUN, PENDING, campaigns, messages, run_messages

__all__ = ["EXPIRED", "expire_due_runs", "expire_run", "expires_at_of"]

EXPIRED = ErrorCode.EXPIRED.value
_SENT = ChannelStatus.SENT.value


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def expires_at_of(session: Session, campaign_id: int) -> datetime | None:
    """The campaign's ``expires_at`` (aware, UTC), or ``None``."""
    value = session.execute(select(campaigns.c.expires_at).where(campaigns.c.id == campaign_id)).scalar()
    session.rollback()
    return _aware(value)


def expire_run(
    session: Session,
    campaign_id: int,
    run_key: str,
    publisher: ProgressPublisher | None,
    *,
    now: datetime | None = None,
) -> int:
    """Settle the run's unclaimed pending messages as expired; complete the run if nothing is left.

    Returns how many messages it settled. Commits.
    """
    now = now or utcnow()
    waiting = and_(run_messages(campaign_id, run_key), messages.c.status == PENDING, messages.c.claimed_by.is_(None))
    partly_sent = or_(messages.c.mail_status == _SENT, messages.c.sms_status == _SENT)
    completed = session.execute(
        update(messages)
        .where(waiting, partly_sent)
        .values(status=MessageStatus.COMPLETED.value, retry_at=None)
        .returning(messages.c.id)
    ).all()
    failed = session.execute(
        update(messages)
        .where(waiting)
        .values(
            status=MessageStatus.FAILED.value,
            error="expired: not sent by the campaign's expires_at",
            error_code=EXPIRED,
            retry_at=None,
        )
        .returning(messages.c.id)
    ).all()
    settled = len(completed) + len(failed)
    row: Any = None
    if settled:
        row = add_to_counters(session, campaign_id, sent=len(completed), failed=len(failed))
    session.commit()
    if settled:
        outcomes: list[tuple[int, MessageStatus, str | None]] = [
            (r.id, MessageStatus.COMPLETED, None) for r in completed
        ]
        outcomes += [(r.id, MessageStatus.FAILED, EXPIRED) for r in failed]
        announce(session, campaign_id, run_key, outcomes)
    done = complete_run_if_done(session, campaign_id, run_key, publisher, now=now, paused_too=True)
    if done is None and row is not None and publisher is not None and progress_crossed(row, settled, 1):
        publish_campaign(publisher, row)
    return settled


def expire_due_runs(session: Session, publisher: ProgressPublisher | None, *, now: datetime | None = None) -> list[int]:
    """The sweep's part: expire the open runs (running or paused) past their ``expires_at``; their ids."""
    now = now or utcnow()
    due = session.execute(
        select(campaigns.c.id, campaigns.c.run_key).where(
            campaigns.c.status.in_(OPEN_RUN),
            campaigns.c.expires_at.is_not(None),
            campaigns.c.expires_at <= now,
            campaigns.c.run_key.is_not(None),
        )
    ).all()
    session.rollback()
    for campaign_id, run_key in due:
        expire_run(session, campaign_id, run_key, publisher, now=now)
    return [campaign_id for campaign_id, _ in due]
