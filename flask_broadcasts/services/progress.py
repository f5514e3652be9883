"""Counters, status changes and run completion: atomic SQL that returns the campaign row.

Every change to a campaign goes through ``UPDATE ... RETURNING`` of the whole row, so the
event published afterwards is built from what the database answered (no extra read, no
read-modify-write between workers).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..events import ProgressPublisher, crossed, publish_campaign
from ..models import BroadcastCampaign, BroadcastMessage, BroadcastRun, utcnow
from ..statuses import (
    RUNNING_CAMPAIGN_STATUSES,
    SENT_MESSAGE_STATUSES,
    CampaignStatus,
    MessageStatus,
    campaign_statuses_from,
)

campaigns = BroadcastCampaign.__table__
messages = BroadcastMessage.__table__
runs = BroadcastRun.__table__

RUNNING = tuple(s.value for s in RUNNING_CAMPAIGN_STATUSES)
SENT = tuple(s.value for s in SENT_MESSAGE_STATUSES)
PENDING = MessageStatus.PENDING.value
FAILED = MessageStatus.FAILED.value


def dialect_insert(session: Session) -> Any:
    """``insert`` of the session's dialect, for ``ON CONFLICT`` (PostgreSQL and SQLite spell it alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def run_messages(campaign_id: int, run_key: str) -> Any:
    """The SQL condition selecting the messages of one run."""
    return and_(messages.c.campaign_id == campaign_id, messages.c.run_key == run_key)


def change_status(
    session: Session,
    campaign_id: int,
    target: CampaignStatus,
    *,
    only_from: Iterable[CampaignStatus] | None = None,
    where: Iterable[Any] = (),
    **values: Any,
) -> Row | None:
    """Move a campaign to ``target`` if its status allows it (transitions table); the new row or ``None``."""
    allowed = set(campaign_statuses_from(target))
    if only_from is not None:
        allowed &= set(only_from)
    stmt = (
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_([s.value for s in allowed]), *where)
        .values(status=target.value, updated_at=utcnow(), **values)
        .returning(*campaigns.c)
    )
    return session.execute(stmt).first()


def add_to_counters(
    session: Session, campaign_id: int, *, sent: int = 0, failed: int = 0, total: int = 0
) -> Row | None:
    """Atomically add to a campaign's counters; the row after the change."""
    stmt = (
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(
            sent_count=campaigns.c.sent_count + sent,
            failed_count=campaigns.c.failed_count + failed,
            total_count=campaigns.c.total_count + total,
            updated_at=utcnow(),
        )
        .returning(*campaigns.c)
    )
    return session.execute(stmt).first()


def progress_crossed(row: Row | None, added: int, every: int) -> bool:
    """Whether adding ``added`` to sent+failed (giving ``row``) passed a multiple of ``every``."""
    if row is None or added <= 0:
        return False
    after = row.sent_count + row.failed_count
    return crossed(after - added, after, every)


def run_figures(campaign_id: int, run_key: str) -> dict[str, Any]:
    """Scalar subqueries counting a run's messages (for reconciliation in one UPDATE)."""
    where = run_messages(campaign_id, run_key)
    count = select(func.count()).select_from(messages)
    return {
        "sent_count": count.where(where, messages.c.status.in_(SENT)).scalar_subquery(),
        "failed_count": count.where(where, messages.c.status == FAILED).scalar_subquery(),
        "total_count": count.where(where).scalar_subquery(),
    }


def status_after_run(recurring: bool) -> CampaignStatus:
    """Where a campaign goes when a run ends: ``completed``, or back to ``scheduled`` when recurring.

    Hook for the scheduling engine: it computes ``next_run_at`` of a recurring campaign.
    """
    return CampaignStatus.SCHEDULED if recurring else CampaignStatus.COMPLETED


def complete_run_if_done(
    session: Session,
    campaign_id: int,
    run_key: str,
    publisher: ProgressPublisher | None,
    *,
    now: datetime | None = None,
) -> Row | None:
    """Complete the run when it is materialized and has no pending message left (guarded; one winner).

    Reconciles the counters from a COUNT over the run's messages (``total = sent + failed``)
    and copies them to ``broadcast_runs``. Commits. Returns the completed campaign row.
    """
    now = now or utcnow()
    guard = [
        campaigns.c.run_key == run_key,
        ~exists().where(run_messages(campaign_id, run_key), messages.c.status == PENDING),
        exists().where(
            runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.materialized_at.is_not(None)
        ),
    ]
    recurring = session.execute(select(campaigns.c.recurring).where(campaigns.c.id == campaign_id)).scalar()
    if recurring is None:
        return None
    if recurring:
        from ..scheduling.service import next_run_after

        schedule = {"next_run_at": next_run_after(session, campaign_id, run_key, now=now)}
    else:
        schedule = {}
    row = change_status(
        session,
        campaign_id,
        status_after_run(bool(recurring)),
        only_from=RUNNING_CAMPAIGN_STATUSES,
        where=guard,
        completed_at=now,
        **schedule,
        **run_figures(campaign_id, run_key),
    )
    if row is None:
        session.rollback()
        return None
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key)
        .values(
            status=CampaignStatus.COMPLETED.value,
            completed_at=now,
            sent_count=row.sent_count,
            failed_count=row.failed_count,
            total_count=row.total_count,
        )
    )
    session.commit()
    if recurring:
        from ..scheduling.service import after_run_completed

        after_run_completed(campaign_id)
    if publisher is not None:
        publish_campaign(publisher, row)
    return row
