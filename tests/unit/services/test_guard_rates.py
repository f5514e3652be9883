"""The deliverability guard's arithmetic over a campaign row: min sent, strict limits, the baseline."""

from __future__ import annotations

from types import SimpleNamespace

from flask_broadcasts.engine.guard_rates import GuardLimits, guard_baseline, tripped

LIMITS = GuardLimits(min_sent=100, complaint_rate=0.003, bounce_rate=0.05)


def row(sent=0, bounced=0, complained=0, baseline=None, run_key="once"):
    return SimpleNamespace(
        sent_count=sent, bounced_count=bounced, complained_count=complained, guard_baseline=baseline, run_key=run_key
    )


def test_nothing_is_judged_below_min_sent():
    assert tripped(row(sent=99, complained=50), LIMITS) is None
    assert tripped(row(sent=100, complained=1), LIMITS).measure == "complaints"


def test_limits_are_strict_and_hard_bounces_count_as_sent():
    # 5 of 100 handed over bounced (95 still sent): exactly 5 %, not above.
    assert tripped(row(sent=95, bounced=5), LIMITS) is None
    trip = tripped(row(sent=94, bounced=6), LIMITS)
    assert (trip.measure, trip.count, trip.sent) == ("hard_bounces", 6, 100)
    assert trip.describe() == "hard_bounces 6/100 = 6.00% > 5.00%"
    # 0.3 % of 1000 is 3 complaints: the fourth trips.
    assert tripped(row(sent=1000, complained=3), LIMITS) is None
    assert tripped(row(sent=1000, complained=4), LIMITS).measure == "complaints"


def test_a_limit_of_zero_turns_its_check_off():
    limits = GuardLimits(min_sent=10, complaint_rate=0, bounce_rate=0.05)
    assert tripped(row(sent=10, complained=10), limits) is None


def test_after_a_resume_only_what_came_since_counts():
    before = row(sent=200, complained=20)
    baseline = guard_baseline(before)
    assert baseline == {"run_key": "once", "sent": 200, "bounced": 0, "complained": 20}
    assert tripped(row(sent=299, complained=21, baseline=baseline), LIMITS) is None  # 99 since
    assert tripped(row(sent=300, complained=20, baseline=baseline), LIMITS) is None  # none since
    assert tripped(row(sent=300, complained=21, baseline=baseline), LIMITS).count == 1
    # Another run's baseline means nothing for this one.
    other = {**baseline, "run_key": "2026-12-01T09:00:00+00:00"}
    assert tripped(row(sent=100, complained=1, baseline=other), LIMITS).count == 1
