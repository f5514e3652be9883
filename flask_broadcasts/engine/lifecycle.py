"""Start, stop, pause and resume campaigns: what the API's actions (and the CLI) call.

Each is one guarded ``UPDATE ... WHERE status IN (...)`` (:func:`~.runs.change_status`):
of ten concurrent starts (or resumes) exactly one changes a row; the others get a
:class:`~flask_broadcasts.errors.ConflictError` with code ``illegal_transition``.

Pause and stop halt the workers within one message per connection: each message's
record answers the campaign's status, and a worker reads it right before the next
message's final bytes (:mod:`.outcomes`).
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, exists, select, update
from sqlalchemy.engine import Row

from ..errors import ConflictError, NotFoundError, illegal_transition
from ..events import publish_campaign
from ..models import BroadcastCampaign, BroadcastTemplate, utcnow
from ..scheduling.plan import ONCE
from ..state import get_state
from ..statuses import CampaignStatus, StatusReason
from .guard_rates import guard_baseline
from .report_counts import recount_run
from .runs import change_run_status, change_status, launch_run, run_figures
from .schedule import cancel_timer
from .tables import PENDING, campaigns, messages, run_messages, runs

#: The run key of a one-off campaign (:data:`flask_broadcasts.scheduling.plan.ONCE`), by its
#: older name.
ONE_OFF_RUN_KEY = ONCE
#: ``status_reason`` of a stopped campaign and of the run it interrupted (cleared by the next start).
STOPPED = StatusReason.STOPPED.value
#: ``status_reason`` of a paused campaign and of its run (cleared by resume).
PAUSED = StatusReason.PAUSED.value


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


#: ``code`` of the 409 a start answers when an e-mail campaign could not carry unsubscribe links.
PUBLIC_URL_REQUIRED = "public_url_required"


def _require_public_url(campaign: BroadcastCampaign) -> None:
    """E-mails carry a one-click unsubscribe link built on ``BROADCASTS_PUBLIC_URL`` (a worker has
    no request to build it from): without it, an e-mail campaign does not start."""
    state = get_state()
    if state.settings.public_url:
        return
    channels = state.session.execute(
        select(BroadcastTemplate.channels).where(BroadcastTemplate.id == campaign.template_id)
    ).scalar()
    if "mail" in (channels or ()):
        raise ConflictError(
            "Set BROADCASTS_PUBLIC_URL: every e-mail carries an unsubscribe link built on it.",
            code=PUBLIC_URL_REQUIRED,
        )


def start_campaign(organization_id: str, campaign_id: int, *, now: datetime | None = None) -> BroadcastCampaign:
    """Start a draft: sending begins now (future/recurring starts go to :data:`schedule_start`).

    :raises NotFoundError: no such campaign in the organization.
    :raises ConflictError: the campaign is not a draft (or another start won the race).
    """
    state = get_state()
    session = state.session
    now = now or utcnow()
    campaign = _load(organization_id, campaign_id)
    if CampaignStatus(campaign.status).is_startable:  # else the 409 says why it cannot start at all
        _require_public_url(campaign)
    scheduled_at = _aware(campaign.scheduled_at)
    if campaign.recurring or (scheduled_at is not None and scheduled_at > now):
        if not CampaignStatus(campaign.status).is_startable:
            raise illegal_transition(f"A {campaign.status} campaign cannot be started.", campaign.status)
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
        guard_baseline=None,  # the one-off key is reused: its guard starts afresh
    )
    if row is None:
        session.rollback()
        status = _load(organization_id, campaign_id).status
        raise illegal_transition(f"A {status} campaign cannot be started.", status)
    launch_run(campaign_id, ONCE, now, commit=True)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)


def stop_campaign(organization_id: str, campaign_id: int) -> BroadcastCampaign:
    """Back to ``draft`` with ``status_reason`` ``stopped``: unsent messages deleted, queued jobs
    cancelled. Idempotent on a draft.

    Messages a worker has claimed are deleted by that worker: it learns of the stop from
    the answer to its last record, before the next message's final bytes, so each
    connection hands over at most the one message already in flight. Messages already
    handed over keep their status. A paused campaign stops the same way.
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
        raise illegal_transition(f"A {campaign.status} campaign cannot be stopped.", campaign.status)
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
        recount_run(session, campaign_id, run_key)  # the report's counts, as the counters
    session.commit()
    state.dispatcher.cancel(campaign_id)

    cancel_timer(campaign_id, next_run_at)
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)


def hold_run(
    campaign_id: int, reason: StatusReason, *, where: Iterable[Any] = (), organization_id: str | None = None
) -> Row[Any] | None:
    """Pause the campaign's running run with ``status_reason`` ``reason``; the row after it, or
    ``None`` when it was not running (nothing changed, the transaction rolled back).

    What :func:`pause_campaign` (an operator) and the deliverability guard (:mod:`.guard`) share:
    one guarded ``UPDATE`` (its ``campaign.paused`` event carries the reason), the run's row
    says the same, waiting jobs are cancelled and the progress event is published. Commits.
    """
    state = get_state()
    session = state.session
    guards = list(where)
    if organization_id is not None:
        guards.append(campaigns.c.organization_id == str(organization_id))
    row = change_status(session, campaign_id, CampaignStatus.PAUSED, where=guards, status_reason=reason.value)
    if row is None:
        session.rollback()
        return None
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == row.run_key, runs.c.completed_at.is_(None))
        .values(status_reason=reason.value)
    )
    session.commit()
    state.dispatcher.cancel(campaign_id)
    publish_campaign(state.publisher, row)
    return row


def pause_campaign(organization_id: str, campaign_id: int) -> BroadcastCampaign:
    """Hold a ``pending`` or ``in-progress`` run: ``paused`` with ``status_reason`` ``paused``.

    Nothing more is claimed; each worker hands over at most the message it has in flight
    (see :func:`stop_campaign`), records it, and releases what it had claimed but not
    sent. Counters keep counting those outcomes. Waiting jobs are cancelled; the database
    is the only record of the pause, so it survives restarts and a Redis flush, and the
    recovery sweep leaves a paused run alone.

    :raises NotFoundError: no such campaign in the organization.
    :raises ConflictError: ``illegal_transition``: the campaign is not running.
    """
    session = get_state().session
    _load(organization_id, campaign_id)  # another organization's campaign is a 404, not a 409
    if hold_run(campaign_id, StatusReason.PAUSED, organization_id=organization_id) is None:
        status = _load(organization_id, campaign_id).status
        raise illegal_transition(f"A {status} campaign cannot be paused.", status)
    session.expire_all()
    return _load(organization_id, campaign_id)


def resume_campaign(organization_id: str, campaign_id: int) -> BroadcastCampaign:
    """Continue a paused run where it was: back to the status it was paused from.

    That status is derived, not stored: ``in-progress`` once the run has messages (or is
    fully materialized), ``pending`` before. The run's unsent messages are sent (or its
    materialization goes on); nobody gets a message twice, because a message is sent only
    by the worker that claimed it while pending. Of concurrent resumes one wins (a
    guarded ``UPDATE ... WHERE status = 'paused'``); the others get a 409.

    :raises NotFoundError: no such campaign in the organization.
    :raises ConflictError: ``illegal_transition``: the campaign is not paused.
    """
    state = get_state()
    session = state.session
    campaign = _load(organization_id, campaign_id)
    status = CampaignStatus(campaign.status)
    if not status.is_paused:
        raise illegal_transition(f"A {status.value} campaign cannot be resumed.", status.value)
    run_key = campaign.run_key
    if run_key is None:  # a paused campaign always has the run it paused; never without one
        raise illegal_transition(f"A {status.value} campaign without a run cannot be resumed.", status.value)
    materialized, started = session.execute(
        select(
            select(runs.c.materialized_at.is_not(None))
            .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key)
            .scalar_subquery(),
            exists().where(run_messages(campaign_id, run_key)),
        )
    ).one()
    target = CampaignStatus.IN_PROGRESS if (materialized or started) else CampaignStatus.PENDING
    rearm: dict[str, Any] = {}
    if campaign.status_reason == StatusReason.DELIVERABILITY_GUARD.value:
        # The operator looked and resumed: the guard judges what is sent from now on.
        rearm["guard_baseline"] = guard_baseline(campaign)
    row = change_status(
        session,
        campaign_id,
        target,
        only_from=(CampaignStatus.PAUSED,),
        where=[campaigns.c.organization_id == str(organization_id), campaigns.c.run_key == run_key],
        status_reason=None,
        **rearm,
    )
    if row is None:
        session.rollback()
        status_now = _load(organization_id, campaign_id).status
        raise illegal_transition(f"A {status_now} campaign cannot be resumed.", status_now)
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.completed_at.is_(None))
        .values(status_reason=None)
    )
    session.commit()
    if not materialized:  # it stopped at the pause; idempotent, it skips what it stored
        state.dispatcher.materialize(campaign_id, run_key)
    if materialized or started:
        state.dispatcher.send(campaign_id, run_key, tag=f"resume{int(time.time() * 1000)}")
    publish_campaign(state.publisher, row)
    session.expire_all()
    return _load(organization_id, campaign_id)
