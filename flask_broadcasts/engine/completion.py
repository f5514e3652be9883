"""Completing a run: the one guarded UPDATE that ends it, its counters reconciled.

Every path that may finish a run (the last send batch, a materialization with nobody to
send to, the recovery sweep) calls :func:`complete_run_if_done`; of concurrent callers
exactly one completes it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import exists, select
from sqlalchemy.engine import Row
from sqlalchemy.orm import Session

from ..events import ProgressPublisher, publish_campaign
from ..models import utcnow
from ..statuses import RUNNING_CAMPAIGN_STATUSES, CampaignStatus
from .bounces import apply_left_bounces
from .event_order import in_commit_order
from .report_counts import recount_run
from .runs import change_run_status, change_status, run_figures
from .schedule import after_run_completed, next_run_after
from .tables import PENDING, campaigns, messages, run_messages, runs


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
    paused_too: bool = False,
) -> Row | None:
    """Complete the run when it is materialized and has no pending message left (guarded; one winner).

    ``paused_too``: a paused run completes as well (its last messages expired: :mod:`.expiry`).
    A reason the run had (``throttled``, ``waiting_for_window``, ``paused``) ends with it.

    Reconciles the counters from a COUNT over the run's messages (``total = sent + failed``)
    and copies them to ``broadcast_runs``. Commits. Returns the completed campaign row.
    """
    if _has_pending(session, campaign_id, run_key):
        # Not done (the guarded UPDATE below would say so too): every batch of every lane
        # ends here, and the way to that answer takes the process's event-order lock and
        # the campaign's row, which each lane's counter flush needs as well. The lane whose
        # record settles the last pending message commits it before it asks, and sees none.
        session.rollback()
        return None
    with in_commit_order(session):  # the completion event after every earlier commit's event
        row = _complete_run_if_done(session, campaign_id, run_key, publisher, now=now, paused_too=paused_too)
    if row is not None:  # the winner: the hard bounces at send time a killed worker left (.bounces)
        apply_left_bounces(session, campaign_id, run_key)
    return row


def _has_pending(session: Session, campaign_id: int, run_key: str) -> bool:
    """Whether the run still has a pending message (claimed, waiting or deferred): one indexed probe."""
    return bool(
        session.execute(
            select(exists().where(run_messages(campaign_id, run_key), messages.c.status == PENDING))
        ).scalar()
    )


def _complete_run_if_done(
    session: Session,
    campaign_id: int,
    run_key: str,
    publisher: ProgressPublisher | None,
    *,
    now: datetime | None,
    paused_too: bool,
) -> Row | None:
    now = now or utcnow()
    guard = [
        campaigns.c.run_key == run_key,
        ~exists().where(run_messages(campaign_id, run_key), messages.c.status == PENDING),
        exists().where(
            runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.materialized_at.is_not(None)
        ),
    ]
    # The campaign's row locked before the counts are taken: the reconciling UPDATE below
    # counts with the snapshot of its own start, so a feedback commit it waited for (a hard
    # bounce at send time, applied by another lane) would be overwritten by its stale count.
    recurring = session.execute(
        select(campaigns.c.recurring).where(campaigns.c.id == campaign_id).with_for_update()
    ).scalar()
    if recurring is None:
        return None
    if recurring:
        schedule = {"next_run_at": next_run_after(session, campaign_id, run_key, now=now)}
    else:
        schedule = {}
    row = change_status(
        session,
        campaign_id,
        status_after_run(bool(recurring)),
        only_from=(*RUNNING_CAMPAIGN_STATUSES, CampaignStatus.PAUSED) if paused_too else RUNNING_CAMPAIGN_STATUSES,
        where=guard,
        completed_at=now,
        status_reason=None,
        **schedule,
        **run_figures(campaign_id, run_key),
    )
    if row is None:
        session.rollback()
        return None
    change_run_status(
        session,
        campaign_id,
        run_key,
        CampaignStatus.COMPLETED,
        completed_at=now,
        sent_count=row.sent_count,
        failed_count=row.failed_count,
        total_count=row.total_count,
        delivered_count=row.delivered_count,
        bounced_count=row.bounced_count,
        complained_count=row.complained_count,
    )
    # The report's derived counts from the same messages (what no flush counted included).
    recount_run(session, campaign_id, run_key)
    session.commit()
    if recurring:
        after_run_completed(campaign_id)
    if publisher is not None:
        publish_campaign(publisher, row)
    return row
