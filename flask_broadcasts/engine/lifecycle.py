"""Start and stop campaigns: what the API's actions (and the CLI) call.

``start`` is one guarded ``UPDATE ... WHERE status = 'draft'``: of ten concurrent
starts exactly one changes a row; the others get :class:`~flask_broadcasts.errors.ConflictError`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete, select, update

from ..errors import ConflictError, NotFoundError
from ..events import publish_campaign
from ..models import BroadcastCampaign, utcnow
from ..scheduling.plan import ONCE
from ..state import get_state
from ..statuses import CampaignStatus
from .runs import change_run_status, change_status, launch_run, run_figures
from .schedule import cancel_timer
from .tables import PENDING, campaigns, messages, run_messages, runs

#: The run key of a one-off campaign (:data:`flask_broadcasts.scheduling.plan.ONCE`), by its
#: older name.
ONE_OFF_RUN_KEY = ONCE
#: ``status_reason`` of a stopped campaign and of the run it interrupted (cleared by the next start).
STOPPED = "stopped"


def _aware(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:
        return value.replace(tzinfo=UTC)
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
        from .schedule import schedule_start

        return schedule_start(campaign, now)
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.PENDING,
        only_from=(CampaignStatus.DRAFT,),
        where=[campaigns.c.organization_id == str(organization_id)],
        status_reason=None,
        run_key=ONCE,
        started_at=now,
        completed_at=None,
    )
    if row is None:
        session.rollback()
        raise ConflictError(f"A {_load(organization_id, campaign_id).status} campaign cannot be started.")
    launch_run(campaign_id, ONCE, now, commit=True)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)


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
        change_run_status(
            session,
            campaign_id,
            run_key,
            CampaignStatus.DRAFT,
            where=[runs.c.completed_at.is_(None)],
            status_reason=STOPPED,
        )
        row = session.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign_id)
            .values(**run_figures(campaign_id, run_key))
            .returning(*campaigns.c)
        ).first()
    session.commit()
    state.dispatcher.cancel(campaign_id)

    cancel_timer(campaign_id, next_run_at)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)
