"""Quiet hours and local delivery times in a recipient's zone (``scheduling/windows.py``, pure).

Three zones (New York, Paris, Tokyo), the US spring-forward of 2026-03-08 (02:00 EST -> 03:00
EDT) and its fall-back of 2026-11-01 (02:00 EDT -> 01:00 EST), windows across midnight, days.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from flask_broadcasts.scheduling.windows import WindowError, next_local_time, parse_local_time, parse_window

NEW_YORK, PARIS, TOKYO = ZoneInfo("America/New_York"), ZoneInfo("Europe/Paris"), ZoneInfo("Asia/Tokyo")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def test_a_window_is_read_in_each_recipients_own_zone() -> None:
    window = parse_window({"start": "09:00", "end": "17:00"})
    at = utc(2026, 3, 10, 12)  # 08:00 in New York (EDT), 13:00 in Paris, 21:00 in Tokyo
    assert [window.is_open(at, zone) for zone in (NEW_YORK, PARIS, TOKYO)] == [False, True, False]
    assert window.next_open(at, NEW_YORK) == utc(2026, 3, 10, 13)
    assert window.next_open(at, PARIS) == at
    assert window.next_open(at, TOKYO) == utc(2026, 3, 11, 0)  # 09:00 JST the next day


def test_the_opening_after_spring_forward_is_an_hour_earlier_in_utc() -> None:
    window = parse_window({"start": "09:00", "end": "17:00"})
    # Saturday 22:00 EST: Sunday's 09:00 is EDT (UTC-4), not EST (UTC-5).
    assert window.next_open(utc(2026, 3, 8, 3), NEW_YORK) == utc(2026, 3, 8, 13)
    assert window.next_open(utc(2026, 3, 7, 3), NEW_YORK) == utc(2026, 3, 7, 14)


def test_a_window_opening_inside_the_spring_forward_gap_opens_at_its_end() -> None:
    window = parse_window({"start": "02:30", "end": "05:00"})
    # 02:30 does not exist on 2026-03-08 in New York: the end of the gap, 03:00 EDT.
    assert window.next_open(utc(2026, 3, 8, 5), NEW_YORK) == utc(2026, 3, 8, 7)
    assert window.is_open(utc(2026, 3, 8, 7, 30), NEW_YORK)  # 03:30 EDT


def test_a_window_is_as_long_in_wall_clock_time_on_a_fall_back_day() -> None:
    window = parse_window({"start": "00:30", "end": "03:00"})
    # 00:30 EDT = 04:30Z ... 03:00 EST = 08:00Z: three and a half real hours, 01:xx twice.
    assert window.next_open(utc(2026, 11, 1, 0), NEW_YORK) == utc(2026, 11, 1, 4, 30)
    assert window.is_open(utc(2026, 11, 1, 5, 30), NEW_YORK)  # 01:30 EDT
    assert window.is_open(utc(2026, 11, 1, 6, 30), NEW_YORK)  # 01:30 EST, the second one
    assert window.is_open(utc(2026, 11, 1, 7, 59), NEW_YORK)
    assert not window.is_open(utc(2026, 11, 1, 8), NEW_YORK)


def test_a_window_across_midnight_belongs_to_the_day_it_opens() -> None:
    window = parse_window({"start": "22:00", "end": "06:00", "days": ["fri"]})
    assert window.crosses_midnight
    friday_late, saturday_early = utc(2026, 4, 10, 23), utc(2026, 4, 11, 3)  # 2026-04-10 is a Friday
    assert window.is_open(friday_late, ZoneInfo("UTC")) and window.is_open(saturday_early, ZoneInfo("UTC"))
    assert not window.is_open(utc(2026, 4, 10, 3), ZoneInfo("UTC"))  # Friday 03:00: Thursday's night
    assert not window.is_open(utc(2026, 4, 11, 23), ZoneInfo("UTC"))  # Saturday night is not listed
    assert not window.is_open(utc(2026, 4, 11, 6), ZoneInfo("UTC"))  # its end is not inside it
    # From Saturday 07:00 the next opening is the next Friday's 22:00.
    assert window.next_open(utc(2026, 4, 11, 7), ZoneInfo("UTC")) == utc(2026, 4, 17, 22)


def test_days_are_the_recipients_days() -> None:
    window = parse_window({"start": "09:00", "end": "17:00", "days": ["mon", "tue", "wed", "thu", "fri"]})
    # Friday 23:30 in New York is Saturday 12:30 in Tokyo: open for neither.
    at = utc(2026, 4, 11, 3, 30)
    assert not window.is_open(at, NEW_YORK) and not window.is_open(at, TOKYO)
    assert window.next_open(at, TOKYO) == utc(2026, 4, 13, 0)  # Monday 09:00 JST
    assert window.next_open(at, NEW_YORK) == utc(2026, 4, 13, 13)  # Monday 09:00 EDT


def test_deliver_at_local_is_the_next_such_wall_clock_time_dst_safe() -> None:
    nine = parse_local_time("09:00")
    after = utc(2026, 3, 7, 20)  # Saturday 15:00 EST, 21:00 CET, Sunday 05:00 JST
    assert next_local_time(nine, after, NEW_YORK) == utc(2026, 3, 8, 13)  # Sunday 09:00 EDT
    assert next_local_time(nine, after, PARIS) == utc(2026, 3, 8, 8)
    assert next_local_time(nine, after, TOKYO) == utc(2026, 3, 8, 0)
    # Inside the gap: the end of it. Twice on the fall-back day: the first.
    assert next_local_time(parse_local_time("02:30"), utc(2026, 3, 8, 5), NEW_YORK) == utc(2026, 3, 8, 7)
    assert next_local_time(parse_local_time("01:30"), utc(2026, 11, 1, 0), NEW_YORK) == utc(2026, 11, 1, 5, 30)
    # Exactly then is still "next".
    assert next_local_time(nine, utc(2026, 3, 8, 8), PARIS) == utc(2026, 3, 8, 8)


@pytest.mark.parametrize(
    ("value", "key"),
    [
        ("08:00-21:00", ""),
        ({"start": "8:00", "end": "21:00"}, "start"),
        ({"start": "08:00"}, "end"),
        ({"start": "08:00", "end": "24:00"}, "end"),
        ({"start": "08:00", "end": "08:00"}, "end"),
        ({"start": "08:00", "end": "21:00", "days": []}, "days"),
        ({"start": "08:00", "end": "21:00", "days": "mon"}, "days"),
        ({"start": "08:00", "end": "21:00", "tz": "UTC"}, "tz"),
    ],
)
def test_an_invalid_window_names_its_part(value: object, key: str) -> None:
    with pytest.raises(WindowError) as error:
        parse_window(value)
    assert error.value.key == key


def test_a_window_keeps_its_canonical_form() -> None:
    window = parse_window({"start": "22:00", "end": "06:00:30", "days": ["SAT", "fri"]})
    assert window.as_json() == {"start": "22:00", "end": "06:00:30", "days": ["fri", "sat"]}
