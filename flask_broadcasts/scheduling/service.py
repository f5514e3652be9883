"""Scheduled and recurring campaigns: start at a time, fire once per fire time, reschedule.

The database is the source of truth: a scheduled campaign's ``next_run_at`` is the fire
time it waits for, and the timer in rq-scheduler (:mod:`.timers`) is only a wake-up
call. A fire time is *claimed* by one guarded ``UPDATE`` of the campaign
(``WHERE status = 'scheduled' AND next_run_at = :fire_time``) before the run starts,
so two schedulers, a duplicate timer or the recovery sweep racing the scheduler never
start a second run for one fire time; the sending engine's unique
``broadcast_runs (campaign_id, run_key)`` row is the second lock on the same door.

Entry points (the start service of the sending engine, the fire job, the recovery
sweep) call these functions inside an app context; nothing here knows HTTP or RQ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from ..extension import get_state
from ..models import BroadcastCampaign, BroadcastRun, utcnow
from ..statuses import CampaignStatus, campaign_statuses_from, transition
from .plan import ONCE, as_utc, first_fire_time, following_fire_time, parse_run_key, run_key_for
from .timers import FireTimers, RQFireTimers

__all__ = [
    "RecoveryReport",
    "after_run_completed",
    "cancel_timer",
    "default_timers",
    "fire",
    "first_fire_time_of",
    "recent_runs",
    "recover_schedules",
    "schedule_start",
]

log = logging.getLogger(__name__)

_C = CampaignStatus
# A run of a recurring campaign ends in one of these; draft (a stop) is never rescheduled.
_RESCHEDULABLE = tuple(s.value for s in campaign_statuses_from(_C.SCHEDULED) if s is not _C.DRAFT)


def default_timers() -> FireTimers:
    """The app's timers: rq-scheduler in the extension's Redis, jobs on its queue."""
    state = get_state()
    return RQFireTimers(state.redis, state.settings.queue)


def _publish(row: Any) -> None:
    """Tell clients about a status change this module made (a no-op until events exist)."""
    try:
        from ..events import RedisProgressPublisher, publish_campaign
    except ImportError:  # pragma: no cover - the events module lands with the sending engine
        return
    state = get_state()
    publisher = RedisProgressPublisher(state.redis, state.settings.event_channel_prefix)
    publish_campaign(publisher, row)


# -- start -----------------------------------------------------------------------------------


def first_fire_time_of(campaign: BroadcastCampaign, *, now: datetime) -> datetime | None:
    """When ``campaign`` started at ``now`` first fires; ``None`` means "send now"."""
    return first_fire_time(
        recurring=campaign.recurring,
        cron=campaign.cron,
        timezone=campaign.timezone or "UTC",
        scheduled_at=campaign.scheduled_at,
        now=now,
    )


def schedule_start(
    organization_id: str,
    campaign_id: int,
    fire_time: datetime,
    *,
    now: datetime,
    timers: FireTimers | None = None,
) -> bool:
    """Move a draft to ``scheduled`` waiting for ``fire_time``, and set its timer.

    The branch of :func:`~flask_broadcasts.services.campaign_runs.start_campaign` for a
    future ``scheduled_at`` or a recurring campaign (``fire_time`` from
    :func:`first_fire_time_of`). A guarded ``UPDATE ... WHERE status = 'draft'``, so of
    concurrent starts exactly one wins.

    :return: whether this call started it (``False``: not a draft any more → 409).
    """
    fire_time = as_utc(fire_time)
    session = get_state().session
    row = session.execute(
        update(BroadcastCampaign)
        .where(
            BroadcastCampaign.id == campaign_id,
            BroadcastCampaign.organization_id == str(organization_id),
            BroadcastCampaign.status == _C.DRAFT.value,
        )
        .values(
            status=transition(_C.DRAFT, _C.SCHEDULED).value,
            status_reason=None,
            next_run_at=fire_time,
            updated_at=as_utc(now),
        )
        .returning(BroadcastCampaign)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if row is None:
        session.rollback()
        return False
    session.commit()
    # After the commit: a timer that fires before the row is visible would find nothing to claim.
    (timers or default_timers()).add(campaign_id, fire_time)
    _publish(row)
    return True


def cancel_timer(campaign_id: int, next_run_at: datetime | None, *, timers: FireTimers | None = None) -> None:
    """Cancel the waiting occurrence of a stopped campaign (``next_run_at`` read before the stop).

    Best effort by design: an occurrence that already left the timer finds the campaign
    no longer ``scheduled`` at that fire time and does nothing.
    """
    if next_run_at is not None:
        (timers or default_timers()).cancel(campaign_id, next_run_at)


# -- fire ------------------------------------------------------------------------------------


def fire(
    campaign_id: int,
    fire_time: datetime,
    *,
    now: datetime | None = None,
    launch: Callable[[int, str, datetime | None], Any] | None = None,
) -> bool:
    """Claim the occurrence of ``campaign_id`` at ``fire_time`` and start its run.

    The claim is ``UPDATE ... SET status = 'pending' WHERE status = 'scheduled' AND
    next_run_at = :fire_time``: exactly one caller per fire time gets a row back. The
    run key is the fire time (ISO 8601 UTC) for a recurring campaign, so its
    exactly-once key is (campaign, fire time, recipient); a one-off campaign keeps the
    key ``once``. The current-run counters start from zero.

    :param launch: starts the claimed run (default: the sending engine's
        :func:`~flask_broadcasts.services.campaign_runs.launch_run`).
    :return: whether this call started the run (``False``: already claimed, stopped,
        or not due at this fire time — all harmless duplicates).
    """
    if launch is None:
        from ..services.campaign_runs import launch_run as launch

    fire_time = as_utc(fire_time)
    now = as_utc(now or utcnow())
    session = get_state().session
    recurring = session.execute(
        select(BroadcastCampaign.recurring).where(BroadcastCampaign.id == campaign_id)
    ).scalar_one_or_none()
    if recurring is None:
        session.rollback()
        return False
    run_key = run_key_for(fire_time) if recurring else ONCE
    values: dict[str, Any] = {
        "status": transition(_C.SCHEDULED, _C.PENDING).value,
        "status_reason": None,
        "run_key": run_key,
        "started_at": now,
        "completed_at": None,
        "updated_at": now,
    }
    if recurring:
        values.update(sent_count=0, failed_count=0, total_count=0)
    row = session.execute(
        update(BroadcastCampaign)
        .where(
            BroadcastCampaign.id == campaign_id,
            BroadcastCampaign.status == _C.SCHEDULED.value,
            BroadcastCampaign.next_run_at == fire_time,
        )
        .values(**values)
        .returning(BroadcastCampaign)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if row is None:
        session.rollback()
        log.info("campaign %s: occurrence %s already claimed or cancelled", campaign_id, run_key_for(fire_time))
        return False
    session.commit()
    _publish(row)
    launch(campaign_id, run_key, fire_time)
    return True


# -- after a run -----------------------------------------------------------------------------


def after_run_completed(
    campaign_id: int,
    *,
    now: datetime | None = None,
    timers: FireTimers | None = None,
) -> bool:
    """Return a recurring campaign whose run ended to ``scheduled``, at its next fire time.

    Called by the sending engine when a run completes (and by the recovery sweep for a
    run whose completion was cut short). Guarded by the run key, so the late completion
    of an older run never reschedules a newer one, and by status, so a stopped (draft)
    campaign stays stopped. The next fire time is counted from ``max(now, fire time)``:
    occurrences missed meanwhile are skipped, not replayed.

    :return: whether the campaign was rescheduled (``False`` for a one-off campaign).
    """
    now = as_utc(now or utcnow())
    session = get_state().session
    campaign = session.execute(
        select(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if campaign is None or not campaign.recurring or not campaign.cron or campaign.run_key in (None, ONCE):
        session.rollback()
        return False
    run_key = campaign.run_key
    fire_time = as_utc(campaign.next_run_at) if campaign.next_run_at is not None else parse_run_key(run_key)
    next_time = following_fire_time(
        cron=campaign.cron,
        timezone=campaign.timezone or "UTC",
        scheduled_at=campaign.scheduled_at,
        fire_time=fire_time,
        now=now,
    )
    row = session.execute(
        update(BroadcastCampaign)
        .where(
            BroadcastCampaign.id == campaign_id,
            BroadcastCampaign.run_key == run_key,
            BroadcastCampaign.status.in_(_RESCHEDULABLE),
        )
        .values(status=_C.SCHEDULED.value, next_run_at=next_time, completed_at=now, updated_at=now)
        .returning(BroadcastCampaign)
        .execution_options(synchronize_session=False)
    ).scalar_one_or_none()
    if row is None:
        session.rollback()
        return False
    session.commit()
    (timers or default_timers()).add(campaign_id, next_time)
    _publish(row)
    return True


def recent_runs(campaign_id: int, limit: int = 5) -> Sequence[BroadcastRun]:
    """The last ``limit`` runs of a campaign, newest first (``broadcast_runs`` rows)."""
    session = get_state().session
    return session.execute(
        select(BroadcastRun)
        .where(BroadcastRun.campaign_id == campaign_id)
        .order_by(BroadcastRun.started_at.desc(), BroadcastRun.id.desc())
        .limit(limit)
    ).scalars().all()


# -- recovery --------------------------------------------------------------------------------


@dataclass
class RecoveryReport:
    """What :func:`recover_schedules` did (counts, for logs and the CLI)."""

    timers_recreated: int = 0
    overdue_fired: int = 0
    rescheduled: int = 0

    def __bool__(self) -> bool:
        return bool(self.timers_recreated or self.overdue_fired or self.rescheduled)


def recover_schedules(
    *,
    now: datetime | None = None,
    timers: FireTimers | None = None,
    launch: Callable[[int, str, datetime | None], Any] | None = None,
) -> RecoveryReport:
    """Make Redis agree with the database's ``next_run_at`` (part of the recovery sweep).

    - a ``scheduled`` campaign whose fire time is ahead (or just due) and has no timer
      gets it back (Redis lost its data, or a timer was removed by hand);
    - one overdue by more than two scheduler polls is fired here (the claim makes a
      race with a late scheduler harmless) and its stale timer cancelled;
    - a recurring campaign whose run ended without being rescheduled (its worker died
      between the two) is rescheduled.
    """
    state = get_state()
    now = as_utc(now or utcnow())
    timers = timers or default_timers()
    grace = timedelta(seconds=2 * float(state.settings.scheduler_interval) + 5)
    report = RecoveryReport()
    session = state.session

    waiting = session.execute(
        select(BroadcastCampaign.id, BroadcastCampaign.next_run_at).where(
            BroadcastCampaign.status == _C.SCHEDULED.value, BroadcastCampaign.next_run_at.is_not(None)
        )
    ).all()
    stranded = session.execute(
        select(BroadcastCampaign.id).where(
            BroadcastCampaign.recurring.is_(True),
            BroadcastCampaign.status.in_([_C.COMPLETED.value, _C.FAILED.value]),
        )
    ).scalars().all()
    session.rollback()  # end the read transaction before Redis round-trips and claims

    for campaign_id, next_run_at in waiting:
        fire_time = as_utc(next_run_at)
        if fire_time > now - grace:
            if (campaign_id, fire_time) not in timers:
                timers.add(campaign_id, fire_time)
                report.timers_recreated += 1
                log.warning("campaign %s: re-created the missing timer for %s", campaign_id, run_key_for(fire_time))
        else:
            if fire(campaign_id, fire_time, now=now, launch=launch):
                report.overdue_fired += 1
                log.warning("campaign %s: fired the overdue occurrence %s", campaign_id, run_key_for(fire_time))
            timers.cancel(campaign_id, fire_time)
    for campaign_id in stranded:
        if after_run_completed(campaign_id, now=now, timers=timers):
            report.rescheduled += 1
    return report
