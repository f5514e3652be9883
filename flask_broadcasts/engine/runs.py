"""Status changes and counters of campaigns and runs: atomic SQL that returns the campaign row.

Every change to a campaign's status goes through :func:`change_status`, one guarded
``UPDATE ... RETURNING`` over the transitions table of :mod:`flask_broadcasts.statuses`;
so the event published afterwards is built from what the database answered (no extra
read, no read-modify-write between workers). :func:`launch_run` opens a run.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..events import ProgressPublisher, crossed, publish_campaign
from ..models import utcnow
from ..scheduling.plan import ONCE
from ..state import get_state
from ..statuses import CampaignStatus, ChannelStatus, ErrorCode, MessageStatus, campaign_statuses_from
from ..webhooks.events import campaign_moved
from .event_order import in_commit_order
from .report_counts import recount_run
from .tables import FAILED, SENT, campaigns, dialect_insert, messages, run_messages, runs

SUPPRESSED = ChannelStatus.SUPPRESSED.value
#: The feedback counters (subsets of sent/failed), as counted from a run's messages.
FEEDBACK_COUNTERS = ("delivered_count", "bounced_count", "complained_count")


def change_status(
    session: Session,
    campaign_id: int,
    target: CampaignStatus,
    *,
    only_from: Iterable[CampaignStatus] | None = None,
    where: Iterable[Any] = (),
    now: datetime | None = None,
    **values: Any,
) -> Row[Any] | None:
    """Move a campaign to ``target`` if its status allows it (transitions table); the new row or ``None``.

    The one way a campaign's status changes. ``only_from`` narrows the statuses it may
    come from, ``where`` adds guards (organization, fire time, run key...), ``values`` are
    the other columns to set in the same UPDATE; ``updated_at`` is ``now``.
    """
    allowed = set(campaign_statuses_from(target))
    if only_from is not None:
        allowed &= set(only_from)
    stmt = (
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_([s.value for s in allowed]), *where)
        .values(status=target.value, updated_at=now or utcnow(), **values)
        .returning(*campaigns.c)
    )
    row = session.execute(stmt).first()
    if row is not None:  # its signal and webhook deliveries (sent after the commit)
        campaign_moved(session, row, target, allowed, values)
    return row


def change_run_status(
    session: Session,
    campaign_id: int,
    run_key: str,
    target: CampaignStatus,
    *,
    where: Iterable[Any] = (),
    **values: Any,
) -> None:
    """Set the status of a run's ``broadcast_runs`` row: the one place a run's status is written.

    A run's row mirrors the campaign move that made it (its statuses are the campaign's:
    ``pending`` when launched, ``in-progress`` once materialized, ``completed``, ``failed``,
    or ``draft`` when a stop interrupted it); the campaign's own move goes through
    :func:`change_status` over the transitions table.
    """
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, *where)
        .values(status=target.value, **values)
    )


def add_to_counters(
    session: Session, campaign_id: int, *, sent: int = 0, failed: int = 0, total: int = 0, suppressed: int = 0
) -> Row | None:
    """Atomically add to a campaign's counters; the row after the change.

    ``suppressed`` counts messages already counted in ``sent`` or ``failed`` (a subset).
    """
    extra = {"suppressed_count": campaigns.c.suppressed_count + suppressed} if suppressed else {}
    stmt = (
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(
            sent_count=campaigns.c.sent_count + sent,
            failed_count=campaigns.c.failed_count + failed,
            total_count=campaigns.c.total_count + total,
            updated_at=utcnow(),
            **extra,
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
        "suppressed_count": count.where(
            where, or_(messages.c.mail_status == SUPPRESSED, messages.c.sms_status == SUPPRESSED)
        ).scalar_subquery(),
        # The provider feedback (flask_broadcasts.feedback), recounted with the rest.
        "delivered_count": count.where(where, messages.c.status == MessageStatus.DELIVERED.value).scalar_subquery(),
        "bounced_count": count.where(where, messages.c.mail_status == ChannelStatus.BOUNCED.value).scalar_subquery(),
        "complained_count": count.where(where, messages.c.error_code == ErrorCode.COMPLAINED.value).scalar_subquery(),
    }


def reconcile_stopped_run(
    session: Session, campaign_id: int, run_key: str, publisher: ProgressPublisher | None
) -> Row[Any] | None:
    """Set a stopped run's counters again from a COUNT of its messages. Commits.

    For a worker that halted after the stop: the stop counted the run when it committed,
    and the message that worker had in flight was recorded after that. Only while the
    campaign is the stopped draft of this run (a new start counts for itself).
    """
    with in_commit_order(session):  # module event_order
        # Locked first, so that the counts below see every commit this UPDATE would wait for
        # (see engine.completion).
        session.execute(select(campaigns.c.id).where(campaigns.c.id == campaign_id).with_for_update())
        row = session.execute(
            update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                campaigns.c.run_key == run_key,
                campaigns.c.status == CampaignStatus.DRAFT.value,
            )
            .values(**run_figures(campaign_id, run_key))
            .returning(*campaigns.c)
        ).first()
        if row is not None:
            recount_run(session, campaign_id, run_key)
        session.commit()
        if row is not None and publisher is not None:
            publish_campaign(publisher, row)
    return row


def launch_run(campaign_id: int, run_key: str, fire_time: datetime | None, *, commit: bool = True) -> bool:
    """Claim the run ``(campaign, run_key)`` and queue its materialization.

    A fire time of a recurring campaign runs once: a second claim of the same key
    returns ``False``. The one-off key is re-opened by a new start (the campaign's guarded
    status change is what makes that start exclusive); its messages already handed over
    stay, so only recipients not yet reached get one. The campaign's counters start from
    the run's existing messages.
    """
    state = get_state()
    session = state.session
    organization_id = session.execute(
        select(campaigns.c.organization_id).where(campaigns.c.id == campaign_id)
    ).scalar_one()
    inserted = session.execute(
        dialect_insert(session)(runs)
        .values(
            organization_id=organization_id,
            campaign_id=campaign_id,
            run_key=run_key,
            fire_time=fire_time,
            status=CampaignStatus.PENDING.value,
            total_count=0,
            sent_count=0,
            failed_count=0,
            started_at=utcnow(),
        )
        .on_conflict_do_nothing(index_elements=["campaign_id", "run_key"])
        .returning(runs.c.id)
    ).first()
    if inserted is None:
        if run_key != ONCE:
            session.rollback()
            return False
        change_run_status(
            session,
            campaign_id,
            run_key,
            CampaignStatus.PENDING,
            status_reason=None,
            materialized_at=None,
            completed_at=None,
        )
    session.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(
            run_key=run_key,
            runs_count=campaigns.c.runs_count + (1 if inserted is not None else 0),
            **run_figures(campaign_id, run_key),
        )
    )
    if commit:
        session.commit()
    state.dispatcher.materialize(campaign_id, run_key)
    return True
