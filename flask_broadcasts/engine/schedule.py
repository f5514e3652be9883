"""Scheduled and recurring campaigns: start at a time, fire once per fire time, reschedule.

The database is the source of truth: a scheduled campaign's ``next_run_at`` is the fire
time it waits for, and the timer in rq-scheduler (:mod:`.timers`) is only a wake-up
call. A fire time is *claimed* by one guarded ``UPDATE`` of the campaign
(``WHERE status = 'scheduled' AND next_run_at = :fire_time``), committed together with
the sending engine's unique ``broadcast_runs (campaign_id, run_key)`` row, before the
run starts; so two schedulers, a duplicate timer or the recovery sweep racing the
scheduler never start a second run for one fire time.

During a run ``next_run_at`` keeps the fire time of that run; when the run ends the
sending engine moves a recurring campaign straight back to ``scheduled`` with
``next_run_at`` from :func:`next_run_after`, then calls :func:`after_run_completed`,
which sets the timer.

Entry points (the start service, the fire job, the recovery sweep) call these
functions inside an app context; nothing here knows HTTP or RQ.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..errors import ConflictError
from ..events import publish_campaign
from ..models import BroadcastCampaign, BroadcastRun, utcnow
from ..scheduling.plan import ONCE, as_utc, first_fire_time, following_fire_time, parse_run_key, run_key_for
from ..state import get_state
from ..statuses import CampaignStatus, campaign_statuses_from
from .runs import change_status, launch_run
from .tables import campaigns as _campaigns
from .timers import FireTimers

__all__ = [
    "Launch",
    "after_run_completed",
    "cancel_timer",
    "default_timers",
    "fire",
    "first_fire_time_of",
    "next_run_after",
    "recent_runs",
    "reschedule",
    "schedule_start",
]

log = logging.getLogger(__name__)

#: ``launch(campaign_id, run_key, fire_time, commit=True) -> bool``: the sending
#: engine's :func:`~flask_broadcasts.engine.lifecycle.launch_run`.
Launch = Callable[..., bool]

_C = CampaignStatus

# Where a run of a recurring campaign may end before it is rescheduled; never draft (a stop).
_RESCHEDULABLE = tuple(s for s in campaign_statuses_from(_C.SCHEDULED) if s is not _C.DRAFT)


def default_timers() -> FireTimers:
    """The app's timers (``get_state().timers``: rq-scheduler unless a test set another)."""
    return get_state().timers


def _publish(row: Any) -> None:
    """Tell clients about a status change made here (``broadcast-campaigns.updated``)."""
    if row is not None:
        publish_campaign(get_state().publisher, row)


def _set_timer(timers: FireTimers | None, campaign_id: int, fire_time: datetime) -> None:
    """Set a timer after the database change committed; a Redis failure is logged, not raised.

    The committed ``next_run_at`` is the truth: the recovery sweep re-creates a timer that
    could not be set, so the caller's change must not fail (or look failed) because of it.
    """
    try:
        (timers or default_timers()).add(campaign_id, fire_time)
    except Exception:
        log.exception(
            "campaign %s: could not set the timer of %s; the recovery sweep will", campaign_id, run_key_for(fire_time)
        )


def _campaign_row(session: Session, campaign_id: int) -> Any:
    return session.execute(select(*_campaigns.c).where(_campaigns.c.id == campaign_id)).first()


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
    campaign: BroadcastCampaign, now: datetime, *, timers: FireTimers | None = None
) -> BroadcastCampaign:
    """Start a draft that fires later: ``draft → scheduled``, ``next_run_at`` set, timer set.

    The branch of ``start_campaign`` (``engine.lifecycle``) for a
    future ``scheduled_at`` or a recurring campaign. One guarded ``UPDATE ... WHERE
    status = 'draft'``, so of concurrent starts exactly one wins.

    :raises ConflictError: the campaign is no longer a draft (another start won).
    :raises ValueError: the campaign would send now (no future time, not recurring).
    """
    state = get_state()
    session = state.session
    fire_time = first_fire_time_of(campaign, now=now)
    if fire_time is None:
        raise ValueError(f"campaign {campaign.id} has no future fire time")
    row = change_status(
        session,
        campaign.id,
        _C.SCHEDULED,
        only_from=(_C.DRAFT,),
        where=[_campaigns.c.organization_id == campaign.organization_id],
        now=as_utc(now),
        status_reason=None,
        next_run_at=fire_time,
    )
    if row is None:
        session.rollback()
        raise ConflictError("The campaign is not a draft any more; only a draft can be started.")
    session.commit()
    # After the commit: a timer going off before the row is visible would find nothing to claim.
    _set_timer(timers, campaign.id, fire_time)
    _publish(row)
    session.expire_all()
    return session.get(BroadcastCampaign, campaign.id)  # type: ignore[return-value]


def cancel_timer(campaign_id: int, next_run_at: datetime | None, *, timers: FireTimers | None = None) -> None:
    """Cancel the waiting occurrence of a stopped campaign (``next_run_at`` read before the stop).

    Best effort by design: an occurrence that already left the timer finds the campaign
    no longer ``scheduled`` at that fire time, and does nothing.
    """
    if next_run_at is None:
        return
    try:
        (timers or default_timers()).cancel(campaign_id, as_utc(next_run_at))
    except Exception:
        log.exception("campaign %s: could not cancel its timer; it will find the campaign stopped", campaign_id)


# -- fire ------------------------------------------------------------------------------------


def fire(campaign_id: int, fire_time: datetime, *, now: datetime | None = None, launch: Launch | None = None) -> bool:
    """Claim the occurrence of ``campaign_id`` at ``fire_time`` and start its run.

    The claim, ``UPDATE ... SET status = 'pending' WHERE status = 'scheduled' AND
    next_run_at = :fire_time``, commits together with the run row that ``launch``
    inserts: exactly one caller per fire time gets both. The run key is the fire time
    (ISO 8601 UTC) for a recurring campaign, so its exactly-once key is (campaign, fire
    time, recipient); a one-off campaign keeps the key ``once``. The run's counters
    (``sent/failed/total_count``) start from that run's messages, i.e. zero.

    :param launch: starts the claimed run (default: the sending engine's ``launch_run``).
    :return: whether this call started the run (``False``: already claimed, stopped, or
        not due at this fire time — all harmless duplicates).
    """
    launch = launch or launch_run
    fire_time = as_utc(fire_time)
    now = as_utc(now or utcnow())
    session = get_state().session
    recurring = session.execute(
        select(_campaigns.c.recurring).where(_campaigns.c.id == campaign_id)
    ).scalar_one_or_none()
    if recurring is None:
        session.rollback()
        return False
    run_key = run_key_for(fire_time) if recurring else ONCE
    claimed = change_status(
        session,
        campaign_id,
        _C.PENDING,
        only_from=(_C.SCHEDULED,),
        where=[_campaigns.c.next_run_at == fire_time],
        now=now,
        status_reason=None,
        run_key=run_key,
        started_at=now,
        completed_at=None,
    )
    if claimed is None:
        session.rollback()
        log.info("campaign %s: occurrence %s already claimed or cancelled", campaign_id, run_key_for(fire_time))
        return False
    # launch_run inserts the run row and commits it with the claim (or rolls both back).
    if not launch(campaign_id, run_key, fire_time, commit=True):
        log.info("campaign %s: run %s already exists", campaign_id, run_key)
        return False
    _publish(_campaign_row(session, campaign_id))
    session.rollback()
    return True


# -- after a run -----------------------------------------------------------------------------


def next_run_after(session: Session, campaign_id: int, run_key: str, *, now: datetime | None = None) -> datetime | None:
    """The ``next_run_at`` a recurring campaign gets when its run ``run_key`` ends; ``None`` if one-off.

    For the sending engine's completion ``UPDATE`` (same session, same transaction).
    Counted from ``max(now, fire time of the run)``: fire times missed meanwhile are
    skipped, not replayed.
    """
    campaign = session.execute(
        select(_campaigns.c.recurring, _campaigns.c.cron, _campaigns.c.timezone, _campaigns.c.scheduled_at).where(
            _campaigns.c.id == campaign_id
        )
    ).first()
    if campaign is None or not campaign.recurring or not campaign.cron or run_key in (None, ONCE):
        return None
    return following_fire_time(
        cron=campaign.cron,
        timezone=campaign.timezone or "UTC",
        scheduled_at=campaign.scheduled_at,
        fire_time=parse_run_key(run_key),
        now=as_utc(now or utcnow()),
    )


def after_run_completed(campaign_id: int, *, timers: FireTimers | None = None) -> bool:
    """Set the timer of a campaign that a finished run returned to ``scheduled``.

    Called by the sending engine after committing the completion. Idempotent (one timer
    per campaign and fire time); if it never runs, the recovery sweep sets the timer.

    :return: whether a timer was set (``False`` for a one-off campaign).
    """
    session = get_state().session
    row = session.execute(
        select(_campaigns.c.status, _campaigns.c.next_run_at).where(_campaigns.c.id == campaign_id)
    ).first()
    session.rollback()
    if row is None or row.next_run_at is None or CampaignStatus(row.status) is not _C.SCHEDULED:
        return False
    _set_timer(timers, campaign_id, as_utc(row.next_run_at))
    return True


def reschedule(campaign_id: int, *, now: datetime | None = None, timers: FireTimers | None = None) -> bool:
    """Return a recurring campaign whose run ended in ``completed``/``failed`` to ``scheduled``.

    The repair path of the recovery sweep (a run ended without being rescheduled).
    Guarded by the run key and by status, so a stopped (draft) campaign stays stopped.
    """
    now = as_utc(now or utcnow())
    session = get_state().session
    run_key = session.execute(select(_campaigns.c.run_key).where(_campaigns.c.id == campaign_id)).scalar_one_or_none()
    next_time = next_run_after(session, campaign_id, run_key, now=now) if run_key else None
    if next_time is None:
        session.rollback()
        return False
    row = change_status(
        session,
        campaign_id,
        _C.SCHEDULED,
        only_from=_RESCHEDULABLE,
        where=[_campaigns.c.run_key == run_key],
        now=now,
        next_run_at=next_time,
    )
    if row is None:
        session.rollback()
        return False
    session.commit()
    _set_timer(timers, campaign_id, next_time)
    _publish(row)
    return True


def recent_runs(campaign_id: int, limit: int = 5) -> Sequence[BroadcastRun]:
    """The last ``limit`` runs of a campaign, newest first (``broadcast_runs`` rows)."""
    session = get_state().session
    return (
        session.execute(
            select(BroadcastRun)
            .where(BroadcastRun.campaign_id == campaign_id)
            .order_by(BroadcastRun.started_at.desc(), BroadcastRun.id.desc())
            .limit(limit)
        )
        .scalars()
        .all()
    )
