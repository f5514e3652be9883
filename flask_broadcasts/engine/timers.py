"""Where fire times wait until they are due: the :class:`FireTimers` protocol the scheduling
service asks, and its in-memory test double. The real one, on rq-scheduler, is
:class:`flask_broadcasts.background.timers.RQFireTimers`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

from ..scheduling.plan import as_utc

__all__ = ["FireTimers", "MemoryFireTimers"]


class FireTimers(Protocol):
    """Pending occurrences of campaigns (one per campaign and fire time)."""

    def add(self, campaign_id: int, fire_time: datetime) -> None:
        """Make ``fire_campaign(campaign_id, run key of fire_time)`` run at ``fire_time`` (idempotent)."""

    def cancel(self, campaign_id: int, fire_time: datetime) -> None:
        """Forget that occurrence if it is still waiting (no error if it is not)."""

    def __contains__(self, key: tuple[int, datetime]) -> bool:
        """Whether the occurrence ``(campaign_id, fire_time)`` is waiting."""


class MemoryFireTimers:
    """Test double of :class:`FireTimers`: a dict in this process, honestly not a scheduler.

    Nothing ever goes off by itself; tests read ``pending`` and call the service.
    """

    def __init__(self) -> None:
        self.pending: dict[int, set[datetime]] = {}

    def add(self, campaign_id: int, fire_time: datetime) -> None:
        """Remember the occurrence in ``pending``."""
        self.pending.setdefault(campaign_id, set()).add(as_utc(fire_time))

    def cancel(self, campaign_id: int, fire_time: datetime) -> None:
        """Forget the occurrence, if it is pending."""
        self.pending.get(campaign_id, set()).discard(as_utc(fire_time))

    def __contains__(self, key: tuple[int, datetime]) -> bool:
        campaign_id, fire_time = key
        return as_utc(fire_time) in self.pending.get(campaign_id, set())
