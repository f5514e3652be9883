"""The deliverability guard: pause a run whose complaints or hard bounces hurt the sender.

Mailbox providers judge a sender by its complaint and bounce rates (Gmail and Yahoo want
complaints below 0.3 %); a campaign that keeps going past them gets the organization's
mail junked or blocked. So, per run, once ``BROADCASTS_GUARD_MIN_SENT`` messages are sent,
a complaint rate above ``BROADCASTS_GUARD_COMPLAINT_RATE`` or a hard-bounce rate above
``BROADCASTS_GUARD_BOUNCE_RATE`` (:mod:`.guard_rates`) pauses the campaign with
``status_reason`` ``deliverability_guard`` — through the same guarded ``UPDATE`` as an
operator's pause (``lifecycle.hold_run``), so its ``campaign.paused`` event carries
the reason and concurrent checks pause it once.

It is asked at the two moments a rate can cross a limit: after a provider's complaint or
hard bounce was applied (:func:`check_run`, from ``flask_broadcasts.feedback.service``),
and after a send batch's counter flush, with the row that flush returned
(:func:`check_row`: free when nothing trips). Resuming is the operator's decision
(``resume``); the guard then judges from the counts at that resume.
"""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy import select

from ..state import get_state
from ..statuses import CampaignStatus, StatusReason
from .guard_rates import GuardLimits, Trip, tripped
from .tables import campaigns

__all__ = ["check_row", "check_run"]

log = logging.getLogger("flask_broadcasts.guard")
_RUNNING = (CampaignStatus.PENDING.value, CampaignStatus.IN_PROGRESS.value)


def _limits() -> GuardLimits:
    return GuardLimits.from_settings(get_state().settings)


def check_row(row: Any) -> bool:
    """Pause the run of the campaign ``row`` (as its last counter update returned it) if a rate
    is above its limit; whether this call paused it. Commits when it pauses."""
    if row is None or getattr(row, "status", None) not in _RUNNING:
        return False
    trip = tripped(row, _limits())
    if trip is None:
        return False
    return _hold(row.id, row.run_key, trip)


def check_run(campaign_id: int, run_key: str) -> bool:
    """Read the campaign's counters and pause its run ``run_key`` if it trips (after feedback)."""
    session = get_state().session
    row = session.execute(
        select(campaigns).where(campaigns.c.id == campaign_id, campaigns.c.run_key == run_key)
    ).first()
    session.rollback()  # a read only: leave no transaction open
    return check_row(row)


def _hold(campaign_id: int, run_key: str, trip: Trip) -> bool:
    from .lifecycle import hold_run  # lifecycle imports the rates: import it when acting only

    row = hold_run(campaign_id, StatusReason.DELIVERABILITY_GUARD, where=[campaigns.c.run_key == run_key])
    if row is None:  # already paused (by a concurrent check, or an operator), stopped or done
        return False
    log.warning(
        "Campaign %s (organization %s) paused by the deliverability guard: %s.",
        campaign_id,
        row.organization_id,
        trip.describe(),
    )
    return True
