"""Start and stop campaigns, and launch runs (shared with the scheduler).

``start`` is one guarded ``UPDATE ... WHERE status = 'draft'``: of ten concurrent
starts exactly one changes a row; the others get :class:`~flask_broadcasts.errors.ConflictError`.
"""

from __future__ import annotations

from datetime import datetime, timezone

from sqlalchemy import delete, select, update

from ..errors import ConflictError, NotFoundError
from ..events import publish_campaign
from ..extension import get_state
from ..models import BroadcastCampaign, utcnow
from ..statuses import CampaignStatus
from .progress import PENDING, campaigns, change_status, dialect_insert, messages, run_figures, run_messages, runs

#: The run key of a one-off campaign: its exactly-once key is (campaign, recipient).
ONE_OFF_RUN_KEY = "once"
#: ``status_reason`` of a stopped campaign and of the run it interrupted (cleared by the next start).
STOPPED = "stopped"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=timezone.utc)
    return value


def _load(organization_id: str, campaign_id: int) -> BroadcastCampaign:
    session = get_state().session
    campaign = session.execute(
        select(BroadcastCampaign).where(
            BroadcastCampaign.id == campaign_id, BroadcastCampaign.organization_id == str(organization_id)
        )
    ).scalar_one_or_none()
    if campaign is None:
        raise NotFoundError(f"Campaign {campaign_id} does not exist.")
    return campaign


def start_campaign(organization_id: str, campaign_id: int, *, now: datetime | None = None) -> BroadcastCampaign:
    """Start a draft: sending begins now (future/recurring starts go to :data:`schedule_start`).

    :raises NotFoundError: no such campaign in the organization.
    :raises ConflictError: the campaign is not a draft (or another start won the race).
    """
    state = get_state()
    session = state.session
    now = now or utcnow()
    campaign = _load(organization_id, campaign_id)
    scheduled_at = _aware(campaign.scheduled_at)
    if campaign.recurring or (scheduled_at is not None and scheduled_at > now):
        if not CampaignStatus(campaign.status).is_startable:
            raise ConflictError(f"A {campaign.status} campaign cannot be started.")
        from ..scheduling.service import schedule_start

        return schedule_start(campaign, now)
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.PENDING,
        only_from=(CampaignStatus.DRAFT,),
        where=[campaigns.c.organization_id == str(organization_id)],
        status_reason=None,
        run_key=ONE_OFF_RUN_KEY,
        started_at=now,
        completed_at=None,
    )
    if row is None:
        session.rollback()
        raise ConflictError(f"A {_load(organization_id, campaign_id).status} campaign cannot be started.")
    launch_run(campaign_id, ONE_OFF_RUN_KEY, now, commit=True)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)


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
        if run_key != ONE_OFF_RUN_KEY:
            session.rollback()
            return False
        session.execute(
            update(runs)
            .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key)
            .values(status=CampaignStatus.PENDING.value, status_reason=None, materialized_at=None, completed_at=None)
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


def stop_campaign(organization_id: str, campaign_id: int) -> BroadcastCampaign:
    """Back to ``draft`` with ``status_reason`` ``stopped``: unsent messages deleted, queued jobs
    cancelled. Idempotent on a draft.

    Messages a worker has claimed are released or deleted by that worker within one
    counter flush (it sees the status in the ``RETURNING`` of its counter update);
    messages already handed over keep their status.
    """
    state = get_state()
    session = state.session
    campaign = _load(organization_id, campaign_id)
    next_run_at = campaign.next_run_at  # the waiting occurrence, cancelled below
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.DRAFT,
        where=[campaigns.c.organization_id == str(organization_id)],
        status_reason=STOPPED,
        next_run_at=None,
    )
    if row is None:
        session.rollback()
        if CampaignStatus(campaign.status) is CampaignStatus.DRAFT:
            return campaign
        raise ConflictError(f"A {campaign.status} campaign cannot be stopped.")
    run_key = row.run_key
    if run_key is not None:
        session.execute(
            delete(messages).where(
                run_messages(campaign_id, run_key), messages.c.status == PENDING, messages.c.claimed_by.is_(None)
            )
        )
        session.execute(
            update(runs)
            .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.completed_at.is_(None))
            .values(status=CampaignStatus.DRAFT.value, status_reason=STOPPED)
        )
        row = session.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(**run_figures(campaign_id, run_key))
            .returning(*campaigns.c)
        ).first()
    session.commit()
    state.dispatcher.cancel(campaign_id)
    from ..scheduling.service import cancel_timer

    cancel_timer(campaign_id, next_run_at)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)
