"""flask_broadcasts.engine.timers: ``MemoryFireTimers``, the documented in-memory stand-in of
the scheduler's timers a host's tests hand to the scheduling functions.

What a test relies on: an occurrence is one (campaign, instant), whatever time zone the
instant is written in, adding it twice keeps one, and a cancel forgets only that one.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

from flask_broadcasts.engine.timers import MemoryFireTimers

NINE_UTC = datetime(2026, 4, 1, 9, tzinfo=UTC)
# The same instant written in a zone two hours ahead.
ELEVEN_PLUS_TWO = datetime(2026, 4, 1, 11, tzinfo=timezone(timedelta(hours=2)))


def test_an_occurrence_is_the_same_instant_in_any_zone_and_is_kept_once() -> None:
    timers = MemoryFireTimers()
    timers.add(7, ELEVEN_PLUS_TWO)
    timers.add(7, NINE_UTC)

    assert (7, NINE_UTC) in timers
    assert (7, ELEVEN_PLUS_TWO) in timers
    assert timers.pending == {7: {NINE_UTC}}
    assert (8, NINE_UTC) not in timers  # another campaign's
    assert (7, NINE_UTC + timedelta(hours=1)) not in timers  # another fire time


def test_a_naive_fire_time_is_read_as_utc_as_sqlite_returns_it() -> None:
    timers = MemoryFireTimers()
    timers.add(7, datetime(2026, 4, 1, 9))
    assert (7, NINE_UTC) in timers


def test_cancel_forgets_that_occurrence_only_and_never_raises() -> None:
    timers = MemoryFireTimers()
    later = NINE_UTC + timedelta(days=1)
    timers.add(7, NINE_UTC)
    timers.add(7, later)

    timers.cancel(7, ELEVEN_PLUS_TWO)
    timers.cancel(7, NINE_UTC)  # already gone
    timers.cancel(99, NINE_UTC)  # never there

    assert (7, NINE_UTC) not in timers
    assert (7, later) in timers
