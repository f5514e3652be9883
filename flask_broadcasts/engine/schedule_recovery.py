"""The scheduling part of the recovery sweep: make Redis agree with the database's ``next_run_at``."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from ..models import utcnow
from ..scheduling.plan import as_utc, run_key_for
from ..state import get_state
from ..statuses import CampaignStatus
from .schedule import Launch, default_timers, fire, reschedule
from .tables import campaigns as _campaigns
from .timers import FireTimers

__all__ = ["RecoveryReport", "recover_schedules"]

log = logging.getLogger(__name__)

_C = CampaignStatus


@dataclass
class RecoveryReport:
    """What :func:`recover_schedules` did (counts, for logs and the CLI)."""

    timers_recreated: int = 0
    overdue_fired: int = 0
    rescheduled: int = 0


def recover_schedules(
    *, now: datetime | None = None, timers: FireTimers | None = None, launch: Launch | None = None
) -> RecoveryReport:
    """Make Redis agree with the database's ``next_run_at`` (the scheduling part of the sweep).

    - a ``scheduled`` campaign whose fire time is ahead (or just due) and has no timer
      gets it back (Redis lost its data, or the timer was never set);
    - one overdue by more than two scheduler polls is fired here — the claim makes a race
      with a late scheduler harmless — and its stale timer is cancelled;
    - a recurring campaign whose run ended in ``completed``/``failed`` without being
      rescheduled is rescheduled.
    """
    state = get_state()
    now = as_utc(now or utcnow())
    timers = timers or default_timers()
    grace = timedelta(seconds=2 * float(state.settings.scheduler_interval) + 5)
    report = RecoveryReport()
    session = state.session

    waiting = session.execute(
        select(_campaigns.c.id, _campaigns.c.next_run_at).where(
            _campaigns.c.status == _C.SCHEDULED.value, _campaigns.c.next_run_at.is_not(None)
        )
    ).all()
    stranded = (
        session.execute(
            select(_campaigns.c.id).where(
                _campaigns.c.recurring.is_(True),
                _campaigns.c.status.in_([_C.COMPLETED.value, _C.FAILED.value]),
            )
        )
        .scalars()
        .all()
    )
    session.rollback()  # end the read transaction before Redis round-trips and claims

    for campaign_id, next_run_at in waiting:
        fire_time = as_utc(next_run_at)
        if fire_time > now - grace:
            if (campaign_id, fire_time) not in timers:
                timers.add(campaign_id, fire_time)
                report.timers_recreated += 1
                log.warning("campaign %s: re-created the missing timer of %s", campaign_id, run_key_for(fire_time))
            continue
        if fire(campaign_id, fire_time, now=now, launch=launch):
            report.overdue_fired += 1
            log.warning("campaign %s: fired the overdue occurrence %s", campaign_id, run_key_for(fire_time))
        timers.cancel(campaign_id, fire_time)
    for campaign_id in stranded:
        if reschedule(campaign_id, now=now, timers=timers):
            report.rescheduled += 1
    return report
