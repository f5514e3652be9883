"""Cron expressions of recurring campaigns, and when they fire next.

A campaign's ``cron`` has the five classic fields, ``minute hour day month
weekday``, and is read in the campaign's IANA time zone. Validation uses
:mod:`croniter`, restricted to the portable syntax: numbers, ``*``, ``,``,
``-``, ``/`` and three-letter month and weekday names. croniter's own
extensions (a sixth "seconds" field, ``@daily``, ``L``, ``W``, ``#``, ``?``,
``H``) are refused, so an expression means the same thing to any cron a
host may know. When both *day* and *weekday* are restricted, a day matching
either fires (the classic cron rule).

Daylight saving time
--------------------
Fire times are wall-clock times in the campaign's zone, and **each matching
wall-clock time fires exactly once**:

- *Spring forward* (``30 2 * * *`` in ``Europe/Paris`` on 2026-03-29, where
  02:00-02:59 does not exist): a wall-clock time inside the gap fires at the
  first instant after the gap, 03:00 local. The day is not skipped. If several
  matching times fall into the gap (``*/15 2 * * *``), or the expression also
  matches the end of the gap (``30 2 * * *`` and ``0 3 * * *`` together), they
  fire once, at 03:00.
- *Fall back* (2026-10-25, where 02:00-02:59 happens twice): a wall-clock time
  inside the repeated hour fires once, at its *first* occurrence (the summer
  time one). During the second pass of that hour nothing fires; an
  every-minute or every-15-minutes schedule therefore pauses for that hour
  rather than sending twice, which for bulk mail is the lesser harm.

croniter alone does not give this: with an aware start it fires
``30 2 * * *`` twice on the fall-back day. So croniter only enumerates
*naive* wall-clock times here, and :func:`next_fire_time` maps each one to an
instant with the rule above.
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, available_timezones

from croniter import CroniterBadDateError, croniter

__all__ = ["FIELD_NAMES", "next_fire_time", "validate_cron", "validate_timezone", "wall_clock_instant"]

#: The five fields, in order.
FIELD_NAMES: tuple[str, ...] = ("minute", "hour", "day", "month", "weekday")

_NUMERIC_FIELD = re.compile(r"[0-9*/,-]+")
_NAMED_FIELD = re.compile(r"[0-9A-Za-z*/,-]+")
_NAMES = {
    "month": frozenset(["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]),
    "weekday": frozenset(["sun", "mon", "tue", "wed", "thu", "fri", "sat"]),
}
_WORD = re.compile(r"[A-Za-z]+")
# A date croniter starts from to prove an expression can fire at all.
_PROBE_START = datetime(2000, 1, 1)
# Zone files that exist on many systems but are not IANA zone names.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
# Safety net for the search loop; the DST rules make it end within an hour's
# worth of candidates, so this is never reached for a valid expression.
_MAX_CANDIDATES = 10_000
_UTC = UTC


def _check_field(name: str, index: int, value: str) -> None:
    pattern = _NAMED_FIELD if name in _NAMES else _NUMERIC_FIELD
    if not pattern.fullmatch(value):
        raise ValueError(
            f"invalid {name} field {value!r}: use numbers, '*', ',', '-' and '/'"
            + (" or three-letter names" if name in _NAMES else "")
        )
    for word in _WORD.findall(value):
        if word.lower() not in _NAMES[name]:
            raise ValueError(f"invalid {name} field {value!r}: unknown name {word!r}")
    # Check the field alone so the message can say which one is wrong.
    probe = ["*"] * 5
    probe[index] = value
    if not croniter.is_valid(" ".join(probe)):
        raise ValueError(f"invalid {name} field {value!r}: value out of range or malformed")


def validate_cron(expr: str) -> str:
    """Check a five-field cron expression and return it normalized.

    :param expr: ``minute hour day month weekday``, e.g. ``"0 9 * * 1"``.
    :return: the fields joined by single spaces.
    :raises ValueError: with a message fit for an API user, when *expr* does
        not have exactly five fields, uses syntax beyond classic cron, has an
        out-of-range value, or can never fire (``0 0 30 2 *``).
    """
    if not isinstance(expr, str):
        raise ValueError("the cron expression must be a string")
    fields = expr.split()
    if len(fields) != 5:
        raise ValueError(
            f"a cron expression has 5 fields (minute hour day month weekday), got {len(fields)} in {expr!r}"
        )
    for index, (name, value) in enumerate(zip(FIELD_NAMES, fields, strict=True)):
        _check_field(name, index, value)
    normalized = " ".join(fields)
    if not croniter.is_valid(normalized):
        raise ValueError(f"invalid cron expression {normalized!r}")
    try:
        croniter(normalized, _PROBE_START).get_next(datetime)
    except CroniterBadDateError:
        raise ValueError(f"the cron expression {normalized!r} never fires") from None
    return normalized


@functools.lru_cache(maxsize=1)
def _zone_names() -> frozenset[str]:
    # Scanning the zone database takes tens of milliseconds: do it once.
    return frozenset(available_timezones()) - _NOT_ZONES


def validate_timezone(name: str) -> str:
    """Check that *name* is an IANA time zone (``Europe/Paris``, ``UTC``).

    :return: *name* unchanged.
    :raises ValueError: for anything else.
    """
    if not isinstance(name, str) or name not in _zone_names():
        raise ValueError(f"{name!r} is not an IANA time zone name")
    return name


def _require_aware(label: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{label} must be a time-zone-aware datetime")


def _gap_end(wall: datetime, zone: ZoneInfo) -> datetime:
    """Return the first instant after the DST gap that swallowed *wall*."""
    # In a gap, fold=1 applies the offset after the transition (the earlier
    # instant) and fold=0 the offset before it (the later one); the transition
    # lies between them. Bisect on whole seconds for the first instant that
    # already has the new offset.
    new_offset = wall.replace(tzinfo=zone, fold=1).utcoffset()
    low = wall.replace(tzinfo=zone, fold=1).astimezone(_UTC)
    high = wall.replace(tzinfo=zone, fold=0).astimezone(_UTC)
    while high - low > timedelta(seconds=1):
        middle = low + (high - low) // 2
        if middle.astimezone(zone).utcoffset() == new_offset:
            high = middle
        else:
            low = middle
    return high.replace(microsecond=0)


def wall_clock_instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """Map a naive wall-clock time of *zone* to its instant (UTC), by the rule above: the
    first occurrence of a repeated time, the end of the gap for a time that does not exist."""
    return _instant(wall, zone)


def _instant(wall: datetime, zone: ZoneInfo) -> datetime:
    """Map a naive wall-clock time of *zone* to the instant it fires (UTC)."""
    # fold=0 is the first occurrence of a repeated wall-clock time.
    first = wall.replace(tzinfo=zone, fold=0)
    utc = first.astimezone(_UTC)
    if utc.astimezone(zone).replace(tzinfo=None) == wall:
        return utc
    return _gap_end(wall, zone)


def next_fire_time(
    expr: str,
    timezone: str,
    after: datetime,
    not_before: datetime | None = None,
) -> datetime:
    """Return the first time *expr* fires strictly after *after*.

    :param expr: a cron expression (see ``validate_cron``).
    :param timezone: the IANA zone the expression is read in.
    :param after: an aware datetime; the result is strictly later.
    :param not_before: an aware datetime; when given, the result is also at
        or after it (e.g. the campaign's ``scheduled_at``).
    :return: an aware datetime in UTC.
    :raises ValueError: for an invalid expression or zone, or a naive datetime.

    Daylight saving time is handled as the module docstring describes: a time
    inside a spring-forward gap fires at the end of the gap, a time inside a
    fall-back overlap fires only at its first occurrence.
    """
    expr = validate_cron(expr)
    zone = ZoneInfo(validate_timezone(timezone))
    _require_aware("after", after)
    bound = after
    if not_before is not None:
        _require_aware("not_before", not_before)
        # "At or after not_before" is "strictly after one microsecond before".
        bound = max(after, not_before - timedelta(microseconds=1))
    bound = bound.astimezone(_UTC)

    # Enumerate naive wall-clock times from the bound's local wall time. The
    # wall-time → instant mapping never goes backwards, so no candidate
    # earlier than this wall time can be later than the bound.
    start = bound.astimezone(zone).replace(tzinfo=None)
    candidates = croniter(expr, start)
    for _ in range(_MAX_CANDIDATES):
        instant = _instant(candidates.get_next(datetime), zone)
        if instant > bound:
            return instant
    raise RuntimeError(f"no fire time found for {expr!r} in {timezone}")  # pragma: no cover
