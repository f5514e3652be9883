"""A campaign's ``throttled`` state: set when its provider pauses it, cleared when it takes messages again.

The pause itself lives in Redis, for every worker (:mod:`.pacing`); here is what the
campaign shows of it. ``status_reason`` becomes ``throttled`` with one guarded UPDATE
(only from no reason, on a running campaign) and goes back with another (only from
``throttled``): of the lanes and workers that meet the same pause, one changes the row and
publishes the one event of the change. The send job that met the pause queues the run's
next send job for its end (one job id per pause end, so every worker queues the same one).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import update

from ..events import publish_campaign
from ..models import utcnow
from ..state import BroadcastsState
from ..statuses import StatusReason
from .tables import RUNNING, campaigns

__all__ = ["clear_throttled", "mark_throttled", "send_when_unthrottled"]

log = logging.getLogger(__name__)

THROTTLED = StatusReason.THROTTLED.value


def mark_throttled(state: BroadcastsState, campaign_id: int) -> bool:
    """``status_reason`` ``throttled`` on a running campaign without a reason; whether it changed."""
    return _change(state, campaign_id, frm=None, to=THROTTLED)


def clear_throttled(state: BroadcastsState, campaign_id: int) -> bool:
    """Clear ``throttled`` (the provider took a message again); whether it changed."""
    return _change(state, campaign_id, frm=THROTTLED, to=None)


def _change(state: BroadcastsState, campaign_id: int, *, frm: str | None, to: str | None) -> bool:
    session = state.session
    reason = campaigns.c.status_reason
    row = session.execute(
        update(campaigns)
        .where(
            campaigns.c.id == campaign_id,
            campaigns.c.status.in_(RUNNING),
            reason.is_(None) if frm is None else reason == frm,
        )
        .values(status_reason=to, updated_at=utcnow())
        .returning(*campaigns.c)
    ).first()
    session.commit()
    if row is not None:
        publish_campaign(state.publisher, row)
    return row is not None


def send_when_unthrottled(state: BroadcastsState, campaign_id: int, run_key: str, until: float) -> None:
    """Queue the run's next send job for the end of its provider's pause."""
    at = datetime.fromtimestamp(until, UTC)
    log.info("campaign %s throttled by its provider until %s", campaign_id, at.isoformat())
    state.dispatcher.send(campaign_id, run_key, tag=f"throttled{int(until * 1000)}", at=at)
