"""Quiet hours and local delivery times, read in a recipient's own time zone (pure).

A campaign's ``send_window`` — ``{"start": "08:00", "end": "21:00", "days": ["mon", ...]}``
(``days`` optional: every day) — is when its messages may go out, in each recipient's
wall-clock time. A window whose ``end`` is not after its ``start`` crosses midnight
(``22:00``–``06:00``); its ``days`` name the day it *opens*. ``deliver_at_local``
(``"09:00"``) sends each message at the next such wall-clock time after the run starts.

Daylight saving time is read as the cron code reads it
(:func:`~flask_broadcasts.scheduling.cron.wall_clock_instant`): a wall-clock time that
does not exist (spring forward) means the end of the gap; one that happens twice (fall
back) its first occurrence. Whether a window is open is asked of the local time itself,
so a window is as long in wall-clock time on a DST day as on any other.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from .cron import wall_clock_instant

__all__ = ["DAYS", "SendWindow", "format_local_time", "next_local_time", "parse_local_time", "parse_window"]

#: The names of ``days``, Monday first (``datetime.weekday()`` order).
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)(?::([0-5]\d))?$")


class WindowError(ValueError):
    """An invalid window: ``key`` names the part (``start``, ``end``, ``days``, or ``""``)."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def parse_local_time(value: Any) -> time:
    """``"HH:MM"`` (24 h; ``"HH:MM:SS"`` too) → :class:`~datetime.time`; :class:`ValueError` otherwise."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    if match is None:
        raise ValueError(f"{value!r} is not a time of day as HH:MM (e.g. 09:00).")
    return time(int(match.group(1)), int(match.group(2)), int(match.group(3) or 0))


def format_local_time(value: time) -> str:
    """``"HH:MM"``, or ``"HH:MM:SS"`` when it has seconds."""
    return value.strftime("%H:%M:%S" if value.second else "%H:%M")


@dataclass(frozen=True)
class SendWindow:
    """When messages may go out, in the recipient's wall-clock time."""

    start: time
    end: time
    #: Weekdays (0 = Monday) on which the window opens; ``None``: every day.
    days: frozenset[int] | None = None

    @property
    def crosses_midnight(self) -> bool:
        """``22:00``–``06:00``: the window ends on the day after it opens."""
        return self.end <= self.start

    def as_json(self) -> dict[str, Any]:
        """The attribute's form (what the API stores and shows)."""
        value: dict[str, Any] = {"start": format_local_time(self.start), "end": format_local_time(self.end)}
        if self.days is not None:
            value["days"] = [DAYS[d] for d in sorted(self.days)]
        return value

    def _opens_on(self, day: date) -> bool:
        return self.days is None or day.weekday() in self.days

    def is_open(self, at: datetime, zone: ZoneInfo) -> bool:
        """Whether the window is open at the instant ``at`` (aware) in ``zone``."""
        local = at.astimezone(zone)
        now, today = local.time().replace(tzinfo=None), local.date()
        if not self.crosses_midnight:
            return self._opens_on(today) and self.start <= now < self.end
        if now >= self.start:
            return self._opens_on(today)
        return now < self.end and self._opens_on(today - timedelta(days=1))

    def next_open(self, after: datetime, zone: ZoneInfo) -> datetime:
        """The first instant at or after ``after`` (aware) when the window is open, in UTC."""
        if self.is_open(after, zone):
            return after.astimezone(UTC)
        local_day = after.astimezone(zone).date()
        for offset in range(8):  # a window opens at least once a week
            day = local_day + timedelta(days=offset)
            if not self._opens_on(day):
                continue
            opening = wall_clock_instant(datetime.combine(day, self.start), zone)
            if opening >= after:
                return opening
        raise ValueError("the window never opens")  # pragma: no cover - days is never empty


def parse_window(value: Any) -> SendWindow:
    """A ``send_window`` attribute → :class:`SendWindow`; :class:`WindowError` otherwise."""
    if not isinstance(value, Mapping):
        raise WindowError("", 'A send window is an object: {"start": "HH:MM", "end": "HH:MM", "days": [...]}.')
    unknown = set(value) - {"start", "end", "days"}
    if unknown:
        raise WindowError(sorted(unknown)[0], "Unknown key: a send window has start, end and days.")
    bounds = {}
    for key in ("start", "end"):
        if key not in value:
            raise WindowError(key, f"A send window needs its {key} (HH:MM).")
        try:
            bounds[key] = parse_local_time(value[key])
        except ValueError as exc:
            raise WindowError(key, str(exc)) from None
    if bounds["start"] == bounds["end"]:
        raise WindowError("end", "A window that ends when it starts is never closed: leave send_window out instead.")
    days = value.get("days")
    if days is None:
        return SendWindow(bounds["start"], bounds["end"])
    if not isinstance(days, list) or not days or not all(isinstance(d, str) and d.lower() in DAYS for d in days):
        raise WindowError("days", f"days is a non-empty list of {', '.join(DAYS)}.")
    return SendWindow(bounds["start"], bounds["end"], frozenset(DAYS.index(d.lower()) for d in days))


def next_local_time(at: time, after: datetime, zone: ZoneInfo) -> datetime:
    """The next occurrence of the wall-clock time ``at`` in ``zone`` at or after ``after``, in UTC."""
    day = after.astimezone(zone).date()
    for offset in range(3):
        instant = wall_clock_instant(datetime.combine(day + timedelta(days=offset), at), zone)
        if instant >= after:
            return instant
    raise AssertionError("unreachable: a wall-clock time comes back every day")  # pragma: no cover
