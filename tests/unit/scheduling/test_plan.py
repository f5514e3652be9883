"""Fire-time planning under a frozen clock: first fire, next fire, missed fire times, keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import time_machine

from flask_broadcasts.background.timers import fire_job_id
from flask_broadcasts.models import utcnow
from flask_broadcasts.scheduling.plan import (
    ceil_second,
    first_fire_time,
    following_fire_time,
    parse_run_key,
    run_key_for,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


NOW = utc(2026, 4, 1, 10, 17, 42)  # a Wednesday


@pytest.fixture(autouse=True)
def frozen() -> None:
    with time_machine.travel(NOW, tick=False):
        yield


def first(**kwargs) -> datetime | None:
    kwargs.setdefault("recurring", False)
    kwargs.setdefault("cron", None)
    kwargs.setdefault("timezone", "UTC")
    kwargs.setdefault("scheduled_at", None)
    return first_fire_time(now=utcnow(), **kwargs)


# --- one-off --------------------------------------------------------------------------


def test_no_scheduled_at_sends_now() -> None:
    assert first() is None


def test_past_or_present_scheduled_at_sends_now() -> None:
    assert first(scheduled_at=NOW - timedelta(days=1)) is None
    assert first(scheduled_at=NOW) is None


def test_future_scheduled_at_fires_at_it() -> None:
    assert first(scheduled_at=NOW + timedelta(minutes=5)) == NOW + timedelta(minutes=5)


def test_fraction_of_a_second_rounds_up_never_early() -> None:
    at = NOW + timedelta(seconds=3, microseconds=400_000)
    assert first(scheduled_at=at) == NOW + timedelta(seconds=4)
    assert ceil_second(NOW) == NOW


def test_naive_scheduled_at_from_sqlite_is_utc() -> None:
    naive = (NOW + timedelta(hours=1)).replace(tzinfo=None)
    assert first(scheduled_at=naive) == NOW + timedelta(hours=1)


# --- recurring: first fire --------------------------------------------------------------


def test_recurring_fires_at_next_cron_time_never_at_start() -> None:
    assert first(recurring=True, cron="0 9 * * 1") == utc(2026, 4, 6, 9, 0)  # next Monday
    assert first(recurring=True, cron="* * * * *") == utc(2026, 4, 1, 10, 18)


def test_recurring_not_before_scheduled_at() -> None:
    # The spec's example: weekly on Monday 09:00, from 2026-04-13.
    assert first(recurring=True, cron="0 9 * * 1", scheduled_at=utc(2026, 4, 13, 9, 0)) == utc(2026, 4, 13, 9, 0)
    assert first(recurring=True, cron="0 9 * * 1", scheduled_at=utc(2026, 4, 13, 9, 1)) == utc(2026, 4, 20, 9, 0)


def test_recurring_with_past_scheduled_at_counts_from_now() -> None:
    assert first(recurring=True, cron="0 9 * * *", scheduled_at=utc(2026, 1, 1)) == utc(2026, 4, 2, 9, 0)


def test_recurring_in_campaign_time_zone() -> None:
    # 09:00 in Paris (summer time, UTC+2) is 07:00 UTC.
    assert first(recurring=True, cron="0 9 * * *", timezone="Europe/Paris") == utc(2026, 4, 2, 7, 0)


def test_recurring_without_cron_is_refused() -> None:
    with pytest.raises(ValueError):
        first(recurring=True)


# --- after a run: missed fire times ------------------------------------------------------


def test_next_fire_after_an_on_time_run() -> None:
    fire = utc(2026, 4, 1, 10, 17)
    assert following_fire_time(
        cron="* * * * *", timezone="UTC", scheduled_at=None, fire_time=fire, now=utcnow()
    ) == utc(2026, 4, 1, 10, 18)


def test_scheduler_down_across_fire_times_runs_once_then_continues_in_the_future() -> None:
    # Fire time 06:00 was overdue by four hours (04:00 ... 10:00 every hour missed):
    # the overdue run happens now, and the next is the next future hour, not 07:00.
    missed = utc(2026, 4, 1, 6, 0)
    assert following_fire_time(
        cron="0 * * * *", timezone="UTC", scheduled_at=None, fire_time=missed, now=utcnow()
    ) == utc(2026, 4, 1, 11, 0)


def test_run_longer_than_the_period_skips_to_the_next_future_time() -> None:
    # An every-minute campaign whose run took 3 minutes continues at the next minute.
    with time_machine.travel(utc(2026, 4, 1, 10, 20, 30), tick=False):
        assert following_fire_time(
            cron="* * * * *", timezone="UTC", scheduled_at=None, fire_time=utc(2026, 4, 1, 10, 17), now=utcnow()
        ) == utc(2026, 4, 1, 10, 21)


def test_clock_behind_fire_time_still_moves_forward() -> None:
    # A worker whose clock is a little behind the fire time never yields the same fire time again.
    fire = utc(2026, 4, 1, 10, 18)
    assert following_fire_time(
        cron="* * * * *", timezone="UTC", scheduled_at=None, fire_time=fire, now=utcnow()
    ) == utc(2026, 4, 1, 10, 19)


# --- keys --------------------------------------------------------------------------------


def test_run_key_is_iso_utc_and_round_trips() -> None:
    fire = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=2)))
    key = run_key_for(fire)
    assert key == "2026-03-29T01:30:00Z"
    assert len(key) <= 40
    assert parse_run_key(key) == fire


def test_fire_job_id_is_a_valid_rq_id_per_campaign_and_fire_time() -> None:
    from rq.job import JOB_ID_PATTERN

    job_id = fire_job_id(42, utc(2026, 3, 29, 1, 30), queue="broadcasts")
    assert job_id == "broadcasts-fire-42-20260329T013000Z"
    assert JOB_ID_PATTERN.fullmatch(job_id)
    assert JOB_ID_PATTERN.fullmatch(fire_job_id(42, utc(2026, 3, 29, 1, 30), queue="staging:broadcasts.eu"))
    assert fire_job_id(42, utc(2026, 3, 29, 1, 31), queue="broadcasts") != job_id
    assert fire_job_id(43, utc(2026, 3, 29, 1, 30), queue="broadcasts") != job_id
    assert fire_job_id(42, utc(2026, 3, 29, 1, 30), queue="broadcasts-staging") != job_id
