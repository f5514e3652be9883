"""What the operator commands print: tables, progress figures, durations. Pure functions.

Nothing here reads the database, Redis or the clock: the commands hand in rows and
times, so every line can be checked without a stack (``tests/unit/cli``).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from ..statuses import CampaignStatus, StatusReason

__all__ = [
    "CampaignProgress",
    "RateMeter",
    "bar_line",
    "campaign_table",
    "final_line",
    "format_duration",
    "format_time",
    "progress_line",
    "table",
    "waiting_line",
]


def format_time(value: datetime | None) -> str:
    """``2026-12-02 04:15 UTC`` (naive datetimes, as SQLite returns them, are UTC); ``-`` for none."""
    if value is None:
        return "-"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def format_duration(seconds: float | None) -> str:
    """``45 s``, ``2 min 05 s``, ``1 h 02 min``; ``-`` when unknown."""
    if seconds is None or seconds != seconds or seconds == float("inf"):  # None, NaN, infinite
        return "-"
    whole = max(0, round(seconds))
    if whole < 60:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def table(header: Sequence[str], rows: Iterable[Sequence[str]]) -> list[str]:
    """Left-aligned columns two spaces apart, the header first; no trailing spaces."""
    body = [list(map(str, row)) for row in rows]
    widths = [max(len(cell) for cell in column) for column in zip(header, *body, strict=True)]
    return [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in [list(header), *body]
    ]


def _status(campaign: Any) -> str:
    return f"{campaign.status} ({campaign.status_reason})" if campaign.status_reason else str(campaign.status)


def campaign_table(campaigns: Iterable[Any]) -> list[str]:
    """The table of ``flask broadcasts campaigns list``: one line per campaign row."""
    return table(
        ("ID", "ORGANIZATION", "NAME", "STATUS", "SENT/FAILED/TOTAL", "NEXT RUN"),
        (
            (
                str(c.id),
                str(c.organization_id),
                c.name,
                _status(c),
                f"{c.sent_count}/{c.failed_count}/{c.total_count}",
                format_time(c.next_run_at),
            )
            for c in campaigns
        ),
    )


@dataclass(frozen=True)
class CampaignProgress:
    """Where a run stands: what a watcher shows, from a campaign row or a progress event."""

    status: CampaignStatus
    status_reason: str | None
    sent: int
    failed: int
    total: int

    @classmethod
    def of(cls, campaign: Any) -> CampaignProgress:
        """From a campaign row (its ``status`` and counters as attributes)."""
        return cls(
            CampaignStatus(campaign.status),
            campaign.status_reason,
            int(campaign.sent_count or 0),
            int(campaign.failed_count or 0),
            int(campaign.total_count or 0),
        )

    @classmethod
    def from_attributes(cls, attributes: Mapping[str, Any]) -> CampaignProgress:
        """From the ``attributes`` of a ``broadcast-campaigns.updated`` event's resource."""
        return cls(
            CampaignStatus(attributes["status"]),
            attributes.get("status_reason"),
            int(attributes.get("sent_count") or 0),
            int(attributes.get("failed_count") or 0),
            int(attributes.get("total_count") or 0),
        )

    @property
    def done(self) -> int:
        """Messages with an outcome: ``sent + failed``."""
        return self.sent + self.failed

    @property
    def finished(self) -> bool:
        """The run is over: ``completed``, ``failed``, or stopped (a draft with reason ``stopped``)."""
        if self.status in (CampaignStatus.COMPLETED, CampaignStatus.FAILED):
            return True
        return self.status is CampaignStatus.DRAFT and self.status_reason == StatusReason.STOPPED.value


@dataclass
class RateMeter:
    """Messages per second over the last ``window`` seconds, and the time left at that pace.

    Fed ``(moment, done)`` samples (``time.monotonic()``, ``sent + failed``); a watcher that
    joins half-way measures only what it saw, never the run's whole history.
    """

    window: float = 10.0
    _samples: deque[tuple[float, int]] = field(default_factory=deque)

    def add(self, moment: float, done: int) -> None:
        """Record that ``done`` messages had an outcome at ``moment``."""
        if self._samples and done < self._samples[-1][1]:
            self._samples.clear()  # counters went back (a stopped run reconciled): start over
        self._samples.append((moment, done))
        while len(self._samples) > 2 and moment - self._samples[1][0] >= self.window:
            self._samples.popleft()

    @property
    def rate(self) -> float | None:
        """Messages per second, or ``None`` before two samples a moment apart."""
        if len(self._samples) < 2:
            return None
        (start, first), (end, last) = self._samples[0], self._samples[-1]
        if end - start <= 0:
            return None
        return (last - first) / (end - start)

    def eta(self, remaining: int) -> float | None:
        """Seconds until ``remaining`` more messages are done at the current rate."""
        rate = self.rate
        if remaining <= 0:
            return 0.0
        if not rate:
            return None
        return remaining / rate


def format_rate(rate: float | None) -> str:
    """``95.2/s``; ``-/s`` when not known yet."""
    return "-/s" if rate is None else f"{rate:.1f}/s"


def progress_figures(progress: CampaignProgress, rate: float | None, eta: float | None) -> str:
    """``sent 148 · failed 2 · 95.2/s · ETA 2 s`` (the bar's text, and a plain line's tail)."""
    return f"sent {progress.sent} · failed {progress.failed} · {format_rate(rate)} · ETA {format_duration(eta)}"


def waiting_line(campaign_id: int, progress: CampaignProgress) -> str | None:
    """``campaign 5 draft: waiting for it to start`` while no run is going; else ``None``."""
    if progress.finished:
        return None
    if progress.status is CampaignStatus.DRAFT:
        return f"campaign {campaign_id} draft: waiting for it to start"
    if progress.status is CampaignStatus.SCHEDULED:
        return f"campaign {campaign_id} scheduled: waiting for its next run"
    return None


def progress_line(campaign_id: int, progress: CampaignProgress, rate: float | None, eta: float | None) -> str:
    """One plain line (no TTY): ``campaign 5 in-progress 150/300 sent 148 · failed 2 · 95.2/s · ETA 2 s``."""
    waiting = waiting_line(campaign_id, progress)
    if waiting is not None:
        return waiting
    status = progress.status.value + (f" ({progress.status_reason})" if progress.status_reason else "")
    return f"campaign {campaign_id} {status} {progress.done}/{progress.total} {progress_figures(progress, rate, eta)}"


def bar_line(
    campaign_id: int, progress: CampaignProgress, rate: float | None, eta: float | None, *, width: int = 80
) -> str:
    """The live line on a terminal: ``campaign 5 [#####-----]  50% 150/300 sent 148 · ...``, at most ``width``.

    The bar takes what the figures leave of ``width`` (at least 10 characters).
    """
    waiting = waiting_line(campaign_id, progress)
    if waiting is not None:
        return waiting[:width]
    figures = f"{progress.done}/{progress.total} {progress_figures(progress, rate, eta)}"
    if progress.status is not CampaignStatus.IN_PROGRESS:
        figures += f" · {progress.status.value}"
    fraction = min(progress.done / progress.total, 1.0) if progress.total else 0.0
    head = f"campaign {campaign_id} "
    tail = f" {int(fraction * 100):3d}% {figures}"
    cells = max(10, width - len(head) - len(tail) - 2)
    filled = int(fraction * cells)
    return (head + "[" + "#" * filled + "-" * (cells - filled) + "]" + tail)[:width]


def final_line(campaign_id: int, progress: CampaignProgress, elapsed: float | None = None) -> str:
    """The last line of a watch: ``campaign 5 completed: 294 sent, 6 failed, 300 total (watched 3 s)``."""
    status = progress.status.value + (f" ({progress.status_reason})" if progress.status_reason else "")
    line = f"campaign {campaign_id} {status}: {progress.sent} sent, {progress.failed} failed, {progress.total} total"
    if elapsed is not None:
        line += f" (watched {format_duration(elapsed)})"
    return line
