"""What the deliverability guard judges: a run's complaint and hard-bounce rates, from its counters.

Pure arithmetic over a campaign row (an ``UPDATE ... RETURNING`` row or the ORM object: both
have the columns as attributes), so the send path can ask it of the row its counter flush
returned at no extra query. :mod:`.guard` acts on the answer.

- **Sent** is what the run handed over: ``sent_count`` plus ``bounced_count`` (a hard bounce
  moves its message from ``sent_count`` to ``failed_count``). A message whose SMS went out
  but whose e-mail bounced stays in ``sent_count`` and is counted twice: the rate is then a
  little low, by at most those messages.
- **Since when**: the run's start, or, after an operator resumed a guard pause, that moment
  (:func:`guard_baseline`, stored in ``guard_baseline``). So a resumed run is not paused
  again by what it did before the pause: only once ``BROADCASTS_GUARD_MIN_SENT`` more
  messages are sent, and the complaints or bounces counted since then cross a threshold.
- A rate is "above" its threshold when strictly greater; a threshold of ``0`` or less turns
  that check off.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["GuardLimits", "Trip", "guard_baseline", "tripped"]


@dataclass(frozen=True)
class GuardLimits:
    """The thresholds (``BROADCASTS_GUARD_*``)."""

    min_sent: int
    complaint_rate: float
    bounce_rate: float

    @classmethod
    def from_settings(cls, settings: Any) -> GuardLimits:
        """The limits of an app's settings."""
        return cls(
            int(settings.guard_min_sent), float(settings.guard_complaint_rate), float(settings.guard_bounce_rate)
        )


@dataclass(frozen=True)
class Trip:
    """Why the guard pauses a run: which rate, its value, and the figures it came from."""

    #: ``complaints`` or ``hard_bounces``.
    measure: str
    rate: float
    limit: float
    sent: int
    count: int

    def describe(self) -> str:
        """One line for the log: ``complaints 4/120 = 3.33% > 0.30%``."""
        return f"{self.measure} {self.count}/{self.sent} = {self.rate:.2%} > {self.limit:.2%}"


def _sent(row: Any) -> int:
    return int(row.sent_count or 0) + int(row.bounced_count or 0)


def guard_baseline(row: Any) -> dict[str, Any]:
    """The figures the guard judges from once the run of ``row`` is resumed now."""
    return {
        "run_key": row.run_key,
        "sent": _sent(row),
        "bounced": int(row.bounced_count or 0),
        "complained": int(row.complained_count or 0),
    }


def tripped(row: Any, limits: GuardLimits) -> Trip | None:
    """The rate of the run of ``row`` that is above its limit (complaints first), else ``None``."""
    base = row.guard_baseline if isinstance(getattr(row, "guard_baseline", None), dict) else None
    if base is None or base.get("run_key") != row.run_key:
        base = {}
    sent = _sent(row) - int(base.get("sent", 0))
    if sent <= 0 or sent < limits.min_sent:
        return None
    measures = (
        ("complaints", int(row.complained_count or 0) - int(base.get("complained", 0)), limits.complaint_rate),
        ("hard_bounces", int(row.bounced_count or 0) - int(base.get("bounced", 0)), limits.bounce_rate),
    )
    for measure, count, limit in measures:
        if limit > 0 and count / sent > limit:
            return Trip(measure, count / sent, limit, sent, count)
    return None
