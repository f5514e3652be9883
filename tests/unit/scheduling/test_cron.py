from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from flask_broadcasts.scheduling.cron import next_fire_time, validate_cron, validate_timezone

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def paris(*args: int, fold: int = 0) -> datetime:
    return datetime(*args, tzinfo=PARIS, fold=fold)


def fire_times(expr: str, zone: str, after: datetime, count: int) -> list[datetime]:
    times = []
    for _ in range(count):
        after = next_fire_time(expr, zone, after)
        times.append(after)
    return times


@pytest.fixture
def frozen_now() -> Iterator[datetime]:
    # A fixed "now" (a Wednesday, 10:17:42 UTC); tick=False keeps it still.
    instant = utc(2026, 4, 1, 10, 17, 42)
    with time_machine.travel(instant, tick=False):
        yield instant


# --- validate_cron -------------------------------------------------------------


@pytest.mark.parametrize(
    ("expr", "normalized"),
    [
        ("* * * * *", "* * * * *"),
        ("0 9 * * 1", "0 9 * * 1"),
        ("  0   9 * *\t1 ", "0 9 * * 1"),
        ("*/15 8-18 1,15 jan-jun MON-FRI", "*/15 8-18 1,15 jan-jun MON-FRI"),
        ("0 0 29 2 *", "0 0 29 2 *"),
        ("0 12 * * 7", "0 12 * * 7"),
    ],
)
def test_validate_cron_accepts(expr: str, normalized: str) -> None:
    assert validate_cron(expr) == normalized


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ("", "5 fields"),
        ("* * * *", "got 4"),
        ("0 * * * * *", "got 6"),  # croniter's seconds field
        ("0 0 9 * * 1", "got 6"),
        ("@daily", "got 1"),
        ("60 * * * *", "minute"),
        ("0 24 * * *", "hour"),
        ("0 0 0 * *", "day"),
        ("0 0 32 * *", "day"),
        ("0 0 1 13 *", "month"),
        ("0 0 * * 8", "weekday"),
        ("*/0 * * * *", "minute"),
        ("0 0 L * *", "day"),
        ("0 0 15W * *", "day"),
        ("0 0 * * 1#2", "weekday"),
        ("0 0 ? * *", "day"),
        ("H * * * *", "minute"),
        ("0 0 * foo *", "unknown name"),
        ("0 0 * * mon;rm", "weekday"),
        ("0 0 30 2 *", "never fires"),
        ("0 0 31 4,6 *", "never fires"),
    ],
)
def test_validate_cron_rejects(expr: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        validate_cron(expr)


# --- validate_timezone ---------------------------------------------------------


@pytest.mark.parametrize("name", ["Europe/Paris", "UTC", "America/New_York", "Asia/Kolkata"])
def test_validate_timezone_accepts(name: str) -> None:
    assert validate_timezone(name) == name


@pytest.mark.parametrize("name", ["", "Mars/Olympus", "europe/paris", "+02:00", "CEST", "localtime", "../etc/passwd"])
def test_validate_timezone_rejects(name: str) -> None:
    with pytest.raises(ValueError):
        validate_timezone(name)


# --- next_fire_time ---------------------------------------------------------------


def test_every_minute_from_now(frozen_now: datetime) -> None:
    now = datetime.now(UTC)
    assert now == frozen_now
    assert fire_times("* * * * *", "UTC", now, 3) == [
        utc(2026, 4, 1, 10, 18),
        utc(2026, 4, 1, 10, 19),
        utc(2026, 4, 1, 10, 20),
    ]


def test_strictly_after() -> None:
    assert next_fire_time("* * * * *", "UTC", utc(2026, 4, 1, 10, 18)) == utc(2026, 4, 1, 10, 19)
    on_time = next_fire_time("0 9 * * *", "UTC", utc(2026, 4, 1, 9))
    assert on_time == utc(2026, 4, 2, 9)


def test_weekly_monday_nine(frozen_now: datetime) -> None:
    times = fire_times("0 9 * * 1", "UTC", datetime.now(UTC), 3)
    assert times == [utc(2026, 4, 6, 9), utc(2026, 4, 13, 9), utc(2026, 4, 20, 9)]
    assert all(t.weekday() == 0 for t in times)


def test_result_is_aware_utc() -> None:
    result = next_fire_time("0 9 * * 1", "Europe/Paris", paris(2026, 4, 1, 12))
    assert result.tzinfo is UTC
    assert result == utc(2026, 4, 6, 7)  # 09:00 CEST


def test_time_zone_conversion() -> None:
    # 09:00 in New York is 14:00 UTC in winter (EST) and 13:00 UTC in summer (EDT).
    assert next_fire_time("0 9 * * *", "America/New_York", utc(2026, 1, 10)) == utc(2026, 1, 10, 14)
    assert next_fire_time("0 9 * * *", "America/New_York", utc(2026, 7, 10)) == utc(2026, 7, 10, 13)
    # Kolkata has a half-hour offset (+05:30).
    assert next_fire_time("0 9 * * *", "Asia/Kolkata", utc(2026, 7, 10)) == utc(2026, 7, 10, 3, 30)


def test_day_is_the_campaign_zone_day() -> None:
    # Monday 01:00 in Tokyo is still Sunday in UTC.
    result = next_fire_time("0 1 * * 1", "Asia/Tokyo", utc(2026, 4, 1))
    assert result == utc(2026, 4, 5, 16)
    assert result.astimezone(ZoneInfo("Asia/Tokyo")).weekday() == 0


def test_after_in_another_zone_is_the_same_instant() -> None:
    a = next_fire_time("*/5 * * * *", "UTC", paris(2026, 4, 1, 12, 1))
    assert a == utc(2026, 4, 1, 10, 5)


def test_not_before() -> None:
    after = utc(2026, 4, 1, 10)
    # scheduled_at in the future: the first fire at or after it.
    assert next_fire_time("0 9 * * 1", "UTC", after, not_before=utc(2026, 4, 13)) == utc(2026, 4, 13, 9)
    # not_before exactly on a fire time includes it...
    assert next_fire_time("0 9 * * 1", "UTC", after, not_before=utc(2026, 4, 13, 9)) == utc(2026, 4, 13, 9)
    # ...one microsecond later excludes it.
    later = utc(2026, 4, 13, 9) + timedelta(microseconds=1)
    assert next_fire_time("0 9 * * 1", "UTC", after, not_before=later) == utc(2026, 4, 20, 9)
    # not_before in the past changes nothing.
    assert next_fire_time("0 9 * * 1", "UTC", after, not_before=utc(2020, 1, 1)) == utc(2026, 4, 6, 9)


def test_not_before_far_ahead_is_not_a_long_search() -> None:
    not_before = utc(2030, 6, 1, 0, 0, 1)
    result = next_fire_time("* * * * *", "UTC", utc(2026, 1, 1), not_before=not_before)
    assert result == utc(2030, 6, 1, 0, 1)


def test_leap_day_only() -> None:
    assert next_fire_time("0 0 29 2 *", "UTC", utc(2026, 4, 1)) == utc(2028, 2, 29)


@pytest.mark.parametrize("bad", ["after", "not_before"])
def test_naive_datetimes_are_rejected(bad: str) -> None:
    aware, naive = utc(2026, 4, 1), datetime(2026, 4, 1)
    kwargs = {"after": aware, "not_before": aware, bad: naive}
    with pytest.raises(ValueError, match=bad):
        next_fire_time("* * * * *", "UTC", **kwargs)


def test_invalid_expression_or_zone_is_rejected() -> None:
    with pytest.raises(ValueError, match="6"):
        next_fire_time("0 0 9 * * 1", "UTC", utc(2026, 4, 1))
    with pytest.raises(ValueError, match="time zone"):
        next_fire_time("0 9 * * 1", "Nowhere/City", utc(2026, 4, 1))


# --- DST in Europe/Paris, 2026 ---------------------------------------------------


def test_spring_forward_fires_once_at_end_of_gap() -> None:
    # 2026-03-29: 02:00 CET jumps to 03:00 CEST; 02:30 does not exist.
    times = fire_times("30 2 * * *", "Europe/Paris", paris(2026, 3, 27, 12), 4)
    assert [t.astimezone(PARIS).replace(tzinfo=None) for t in times] == [
        datetime(2026, 3, 28, 2, 30),
        datetime(2026, 3, 29, 3, 0),  # first valid instant after the gap
        datetime(2026, 3, 30, 2, 30),
        datetime(2026, 3, 31, 2, 30),
    ]
    assert times[1] == utc(2026, 3, 29, 1)


def test_spring_forward_several_times_in_gap_fire_once() -> None:
    times = fire_times("*/20 2-3 * * *", "Europe/Paris", paris(2026, 3, 29, 1), 4)
    assert [t.astimezone(PARIS).strftime("%d %H:%M") for t in times] == [
        "29 03:00",  # 02:00, 02:20, 02:40 and 03:00 itself: once
        "29 03:20",
        "29 03:40",
        "30 02:00",
    ]


def test_fall_back_fires_once_at_first_occurrence() -> None:
    # 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    times = fire_times("30 2 * * *", "Europe/Paris", paris(2026, 10, 23, 12), 4)
    # Compared in UTC: PEP 495 makes == between zones False for an ambiguous time.
    assert times == [
        utc(2026, 10, 24, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST, the first of the two 02:30s
        utc(2026, 10, 26, 1, 30),  # 02:30 CET
        utc(2026, 10, 27, 1, 30),
    ]
    assert times[1].astimezone(PARIS).fold == 0


def test_fall_back_after_the_first_occurrence_does_not_fire_again() -> None:
    # Asked during the repeated hour (02:10 CET, after 02:30 CEST has fired).
    second_pass = paris(2026, 10, 25, 2, 10, fold=1)
    assert next_fire_time("30 2 * * *", "Europe/Paris", second_pass) == utc(2026, 10, 26, 1, 30)


def test_fall_back_frequent_schedule_pauses_during_repeated_hour() -> None:
    times = fire_times("*/30 * * * *", "Europe/Paris", utc(2026, 10, 24, 23, 50), 5)
    assert times == [
        utc(2026, 10, 25, 0, 0),  # 02:00 CEST
        utc(2026, 10, 25, 0, 30),  # 02:30 CEST
        utc(2026, 10, 25, 2, 0),  # 03:00 CET: the CET 02:00 and 02:30 do not fire again
        utc(2026, 10, 25, 2, 30),
        utc(2026, 10, 25, 3, 0),
    ]
    assert len({t.astimezone(PARIS).replace(tzinfo=None) for t in times}) == len(times)


@pytest.mark.parametrize(
    ("start", "end"),
    [(utc(2026, 3, 20), utc(2026, 4, 5)), (utc(2026, 10, 18), utc(2026, 11, 2))],
)
def test_daily_schedule_fires_exactly_once_every_day_around_dst(start: datetime, end: datetime) -> None:
    days = []
    after = start
    while True:
        after = next_fire_time("30 2 * * *", "Europe/Paris", after)
        if after >= end:
            break
        days.append(after.astimezone(PARIS).date())
    expected_days = (end - start).days
    assert len(days) == len(set(days)) == expected_days


# --- other zones' transitions -------------------------------------------------


def test_half_hour_dst_gap() -> None:
    # Lord Howe Island moves 30 minutes: 2026-10-04 02:00 → 02:30 (+10:30 → +11).
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    result = next_fire_time("15 2 * * *", "Australia/Lord_Howe", utc(2026, 10, 3, 12))
    assert result.astimezone(lord_howe).replace(tzinfo=None) == datetime(2026, 10, 4, 2, 30)


def test_skipped_calendar_day_still_fires() -> None:
    # Samoa skipped 2011-12-30 entirely; the noon run moves to the end of the gap.
    apia = ZoneInfo("Pacific/Apia")
    times = fire_times("0 12 * * *", "Pacific/Apia", datetime(2011, 12, 29, 13, tzinfo=apia), 2)
    assert [t.astimezone(apia).replace(tzinfo=None) for t in times] == [
        datetime(2011, 12, 31, 0, 0),
        datetime(2011, 12, 31, 12, 0),
    ]
