"""A campaign's ``throttled`` and ``waiting_for_window`` reasons: set by the engine, cleared when it sends again.

The pause itself lives in Redis, for every worker (:mod:`.pacing`); here is what the
campaign shows of it. ``status_reason`` becomes ``throttled`` with one guarded UPDATE
(only from no reason, on a running campaign) and goes back with another (only from
``throttled``): of the lanes and workers that meet the same pause, one changes the row and
publishes the one event of the change. The send job that met the pause queues the run's
next send job for its end (one job id per pause end, so every worker queues the same one).

``waiting_for_window`` is set the same way when nothing of a run is claimable or in a
worker's hands and what is left waits for its quiet-hours window or local delivery time
(:mod:`.windows`); the first batch sent after clears either reason, in one UPDATE.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime

from sqlalchemy import update

from ..events import publish_campaign
from ..models import utcnow
from ..state import BroadcastsState
from ..statuses import StatusReason
from .event_order import in_commit_order
from .tables import RUNNING, campaigns

__all__ = ["clear_waiting_reasons", "mark_throttled", "mark_waiting_for_window", "send_when_unthrottled"]

log = logging.getLogger(__name__)

THROTTLED = StatusReason.THROTTLED.value
WAITING_FOR_WINDOW = StatusReason.WAITING_FOR_WINDOW.value


def mark_throttled(state: BroadcastsState, campaign_id: int) -> bool:
    """``status_reason`` ``throttled`` on a running campaign without a reason; whether it changed."""
    return _change(state, campaign_id, frm=None, to=THROTTLED)


def mark_waiting_for_window(state: BroadcastsState, campaign_id: int) -> bool:
    """``status_reason`` ``waiting_for_window`` on a running campaign without a reason; whether it changed."""
    return _change(state, campaign_id, frm=None, to=WAITING_FOR_WINDOW)


def clear_waiting_reasons(state: BroadcastsState, campaign_id: int) -> bool:
    """Clear ``throttled`` or ``waiting_for_window`` (a batch went out); whether it changed."""
    return _change(state, campaign_id, frm=(THROTTLED, WAITING_FOR_WINDOW), to=None)


def _change(state: BroadcastsState, campaign_id: int, *, frm: tuple[str, ...] | None, to: str | None) -> bool:
    session = state.session
    reason = campaigns.c.status_reason
    # In commit order with the lanes' counter flushes (module event_order): a lane's batch
    # went out, its flush committed "6 sent, throttled", this cleared the reason — and the
    # flush's older event, published last, showed the campaign throttled again (seen in CI).
    with in_commit_order(session):
        row = session.execute(
            update(campaigns)
            .where(
                campaigns.c.id == campaign_id,
                campaigns.c.status.in_(RUNNING),
                reason.is_(None) if frm is None else reason.in_(frm),
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
