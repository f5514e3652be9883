"""When a campaign fires: the first fire time at start, the next one after a run.

Pure functions over values (no database, no Redis), so the rules are tested with a
frozen clock. Every instant they return is UTC and falls on a whole second, because
rq-scheduler keeps whole Unix seconds and a run key is an ISO 8601 string without a
fraction: a ``scheduled_at`` of 09:00:00.4 fires at 09:00:01 (never before it).

Missed fire times
-----------------
The next fire time after a run is computed from ``max(now, fire time of the run)``:
a scheduler that was down across one or more fire times runs the campaign **once**
when it comes back (the overdue occurrence), then continues from the next fire time
in the future. Missed occurrences are not replayed one after the other.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from .cron import next_fire_time

__all__ = ["as_utc", "ceil_second", "first_fire_time", "following_fire_time", "parse_run_key", "run_key_for"]

#: The run key of a one-off campaign: its exactly-once key is (campaign, recipient).
ONCE = "once"
_RUN_KEY_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def as_utc(value: datetime) -> datetime:
    """``value`` as an aware UTC datetime; a naive one (SQLite) is taken to be UTC already."""
    if value.tzinfo is None or value.utcoffset() is None:
        return value.replace(tzinfo=UTC)
    return value.astimezone(UTC)


def ceil_second(value: datetime) -> datetime:
    """``value`` in UTC, rounded up to a whole second."""
    value = as_utc(value)
    if value.microsecond:
        value = value.replace(microsecond=0) + timedelta(seconds=1)
    return value


def run_key_for(fire_time: datetime) -> str:
    """The run key of a recurring run: its fire time in ISO 8601 UTC (``2026-03-29T01:00:00Z``)."""
    return as_utc(fire_time).strftime(_RUN_KEY_FORMAT)


def parse_run_key(run_key: str) -> datetime:
    """The fire time a recurring run key (or a fire job's argument) names."""
    return datetime.strptime(run_key, _RUN_KEY_FORMAT).replace(tzinfo=UTC)


def first_fire_time(
    *,
    recurring: bool,
    cron: str | None,
    timezone: str,
    scheduled_at: datetime | None,
    now: datetime,
) -> datetime | None:
    """When a campaign started at ``now`` first fires; ``None`` means "send now".

    - recurring: the first cron fire time strictly after ``now`` and not before
      ``scheduled_at`` (a recurring campaign never sends at start);
    - one-off with ``scheduled_at`` in the future: ``scheduled_at`` (rounded up to a second);
    - otherwise ``None``.
    """
    now = as_utc(now)
    if recurring:
        if not cron:
            raise ValueError("a recurring campaign needs a cron expression")
        not_before = as_utc(scheduled_at) if scheduled_at is not None else None
        return next_fire_time(cron, timezone, after=now, not_before=not_before)
    if scheduled_at is not None and as_utc(scheduled_at) > now:
        return ceil_second(scheduled_at)
    return None


def following_fire_time(
    *,
    cron: str,
    timezone: str,
    scheduled_at: datetime | None,
    fire_time: datetime,
    now: datetime,
) -> datetime:
    """The fire time after the run of ``fire_time`` completed at ``now``.

    Counted from the later of the two, so fire times missed while the run (or the
    scheduler) was late are skipped rather than replayed: see the module docstring.
    """
    after = max(as_utc(fire_time), as_utc(now))
    not_before = as_utc(scheduled_at) if scheduled_at is not None else None
    return next_fire_time(cron, timezone, after=after, not_before=not_before)
