"""The ``retry`` action: give the failed messages of a campaign's last run another round.

Only on a ``completed`` one-off campaign (a recurring campaign's next run is its retry).
The last run is reopened as it was: its messages failed with a retryable code go back to
``pending`` (``failed → pending``, the only move out of ``failed``), the campaign goes
``completed → pending``, and the send jobs take them as any pending message; their
Message-IDs and idempotency keys are the run's, ``runs_count`` does not change. The
counters are counted again from the run's messages: those messages leave ``failed_count``
and come back in ``sent_count`` (or ``failed_count``) as each settles.

Retryable: ``temporary_failure`` (every try met a temporary answer about the recipient).
``outcome_unknown`` only when asked (``include_unknown``): such a message may have been
delivered, so retrying it may duplicate it. Never: ``refused``, ``invalid_mobile``,
``no_channel``, ``suppressed``, ``no_consent``, ``expired``...
"""

from __future__ import annotations

import time

from sqlalchemy import case, exists, func, select, update

from ..errors import illegal_transition, nothing_to_retry
from ..events import publish_campaign
from ..models import BroadcastCampaign
from ..state import get_state
from ..statuses import CampaignStatus, ChannelStatus, ErrorCode, MessageStatus
from .lifecycle import _load
from .report_counts import recount_run
from .runs import change_run_status, change_status, run_figures
from .tables import FAILED, campaigns, messages, run_messages

__all__ = ["RETRYABLE_CODES", "retry_campaign", "retryable_count"]

#: The ``error_code`` values whose messages ``retry`` sends again.
RETRYABLE_CODES: tuple[ErrorCode, ...] = (ErrorCode.TEMPORARY_FAILURE,)


def _codes(include_unknown: bool) -> list[str]:
    codes = [code.value for code in RETRYABLE_CODES]
    if include_unknown:
        codes.append(ErrorCode.OUTCOME_UNKNOWN.value)
    return codes


def _retryable(campaign_id: int, run_key: str, include_unknown: bool) -> list:
    return [
        run_messages(campaign_id, run_key),
        messages.c.status == FAILED,
        messages.c.error_code.in_(_codes(include_unknown)),
    ]


def retryable_count(campaign_id: int, run_key: str, *, include_unknown: bool = False) -> int:
    """How many messages of the run ``retry`` would send again."""
    session = get_state().session
    where = _retryable(campaign_id, run_key, include_unknown)
    return int(session.execute(select(func.count()).select_from(messages).where(*where)).scalar_one())


def retry_campaign(organization_id: str, campaign_id: int, *, include_unknown: bool = False) -> BroadcastCampaign:
    """Send the retryable failed messages of the campaign's last run again (see the module docstring).

    :param include_unknown: also the messages whose outcome is unknown (may duplicate them).
    :raises NotFoundError: no such campaign in the organization.
    :raises ConflictError: ``illegal_transition`` (not ``completed``, or recurring), or
        ``nothing_to_retry`` (no message of the last run can be retried).
    """
    state = get_state()
    session = state.session
    campaign = _load(organization_id, campaign_id)
    status = CampaignStatus(campaign.status)
    if campaign.recurring:
        raise illegal_transition("A recurring campaign is not retried: its next run is the retry.", status.value)
    if status is not CampaignStatus.COMPLETED or campaign.run_key is None:
        raise illegal_transition(f"A {status.value} campaign cannot be retried.", status.value)
    run_key = campaign.run_key
    where = _retryable(campaign_id, run_key, include_unknown)
    # One guarded UPDATE: of concurrent retries (a double click) one reopens the run.
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.PENDING,
        only_from=(CampaignStatus.COMPLETED,),
        where=[
            campaigns.c.organization_id == str(organization_id),
            campaigns.c.run_key == run_key,
            campaigns.c.recurring.is_(False),
            exists().where(*where),
        ],
        status_reason=None,
        completed_at=None,
    )
    if row is None:
        session.rollback()
        now = _load(organization_id, campaign_id).status
        if CampaignStatus(now) is CampaignStatus.COMPLETED:
            hint = "" if include_unknown else " (messages of unknown outcome only with include_unknown=true)"
            raise nothing_to_retry(f"No message of the last run can be retried{hint}.", now)
        raise illegal_transition(f"A {now} campaign cannot be retried.", now)
    settled = (ChannelStatus.REFUSED.value, ChannelStatus.UNKNOWN.value)
    session.execute(
        update(messages)
        .where(*where)
        .values(
            status=MessageStatus.PENDING.value,
            error=None,
            error_code=None,
            tries=0,
            retry_at=None,
            claimed_by=None,
            claim_expires_at=None,
            # A channel that failed (temporarily, or unknown when asked) is tried again;
            # one that was accepted stays so and is never sent twice.
            mail_status=case((messages.c.mail_status.in_(settled), None), else_=messages.c.mail_status),
            sms_status=case((messages.c.sms_status.in_(settled), None), else_=messages.c.sms_status),
        )
    )
    row = session.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(**run_figures(campaign_id, run_key))
        .returning(*campaigns.c)
    ).first()
    change_run_status(session, campaign_id, run_key, CampaignStatus.PENDING, completed_at=None)
    recount_run(session, campaign_id, run_key)  # the retried channels are pending again
    session.commit()
    # The answer is the campaign as the retry left it, read before a worker can move it on
    # (read after the dispatch, a fast worker's first counts could show up in it).
    session.expire_all()
    reopened = _load(organization_id, campaign_id)
    state.dispatcher.send(campaign_id, run_key, tag=f"retry{int(time.time() * 1000)}")
    publish_campaign(state.publisher, row)
    return reopened
