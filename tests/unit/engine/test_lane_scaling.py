"""How many lanes a send job keeps when the operator left the number to it: as many as pay.

The rule is fed what a real job would see: lanes that wait for their provider send in
proportion to their number and spend most of their time waiting; lanes that take turns
at the CPU (or at the database) send the same however many, and hardly wait.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from flask_broadcasts.engine.lane_scaling import (
    FIRST_HOLD_SECONDS,
    GAIN,
    GAUGE_SECONDS,
    KEEP_DOWN,
    REPROBE_SECONDS,
    LaneScaling,
    lanes_for,
)

TICK = 0.05


class _Job:
    """A send job's clock, messages handed over, CPU and time waited, across the phases of a test."""

    now = 0.0
    sent = 0.0
    cpu = 0.0
    waited = 0.0


class _Provider:
    """How lanes fare: messages a second, share of a core, and seconds waited a second, by lane count."""

    def __init__(
        self,
        rate: Callable[[int], float],
        waiting: Callable[[int], float],
        cpu: Callable[[int], float] | None = None,
    ) -> None:
        self.rate, self.waiting, self.cpu = rate, waiting, cpu


def _run(scaling: LaneScaling, provider: _Provider, seconds: float, job: _Job | None = None) -> list[int]:
    """Tick the rule for ``seconds``; the counts it asked for, one per tick."""
    job = job or _Job()
    asked = []
    end = job.now + seconds
    while job.now < end:
        cpu = None if provider.cpu is None else job.cpu
        size = scaling.target(job.now, int(job.sent), cpu, job.waited, job.now if job.sent >= 1 else None)
        asked.append(size)
        job.sent += provider.rate(size) * TICK
        job.cpu += (provider.cpu(size) if provider.cpu is not None else 0.0) * TICK
        job.waited += provider.waiting(size) * TICK
        job.now += TICK
    return asked


# 10 ms a reply: each lane sends 95 a second and waits 0.95 of its time.
RELAY = _Provider(lambda lanes: 95.0 * lanes, lambda lanes: 0.95 * lanes, lambda lanes: 0.025 * lanes)
# A server on loopback: one core's worth, a little less with threads taking turns; a lane
# waits a tenth of its time for the server (the rest: the CPU and the database).
FAST = _Provider(lambda lanes: 1400.0 if lanes == 1 else 1100.0, lambda lanes: 0.1 * lanes, lambda lanes: 0.6)


def test_lanes_waiting_for_their_provider_get_the_most_within_a_gauge():
    asked = _run(LaneScaling(8, 0.0), RELAY, 3.0)
    assert asked[0] == 1  # one lane, gauged...
    assert asked.index(8) * TICK <= GAUGE_SECONDS + 2 * TICK  # ...then all of them at once
    assert asked[asked.index(8) :] == [8] * len(asked[asked.index(8) :])  # kept: they mostly wait


def test_a_lane_that_keeps_its_worker_busy_stays_alone():
    asked = _run(LaneScaling(8, 0.0), FAST, 3 * REPROBE_SECONDS)
    # Gauged again and again (it costs nothing: it runs alone): never more lanes.
    assert set(asked) == {1}


def test_the_rate_of_other_lanes_does_not_decide_one_lane_alone():
    # A worker sharing the database with others sends more with more lanes (it takes a larger
    # share of the database); the gauge, not the rate, decides: one lane.
    greedy = _Provider(lambda lanes: 700.0 * lanes**0.5, lambda lanes: 0.1 * lanes, lambda lanes: 0.5)
    assert set(_run(LaneScaling(8, 0.0), greedy, 3 * REPROBE_SECONDS)) == {1}


@pytest.mark.parametrize(("share", "lanes"), [(0.0, 1), (0.2, 1), (0.4, 2), (0.5, 8), (0.65, 8), (1.3, 8)])
def test_one_lane_waiting_a_share_of_its_time_asks_for_the_lanes_that_keep_the_rest_busy(share, lanes):
    assert lanes_for(share, 8) == lanes
    assert lanes_for(share, 1) == 1


@pytest.mark.parametrize(
    ("before", "first", "after", "then"),
    [
        # The relay now answers in 10 ms: at the next gauge of the lane alone, all lanes come.
        (FAST, 1, RELAY, 8),
        # The relay answers at once now: the lanes keep the CPU busy, so one lane alone is
        # gauged at the next look, and stays.
        (RELAY, 8, FAST, 1),
    ],
    ids=["slows-down", "speeds-up"],
)
def test_a_provider_whose_answers_change_gets_its_lanes_changed_at_the_next_look(before, first, after, then):
    scaling, job = LaneScaling(8, 0.0), _Job()
    _run(scaling, before, 3.0, job)
    assert scaling.size == first
    asked = _run(scaling, after, REPROBE_SECONDS + 1.0, job)  # no hold is longer than REPROBE_SECONDS
    assert asked[-1] == then


def test_a_lane_alone_that_sends_clearly_less_than_the_lanes_it_replaced_brings_them_back():
    scaling, job = LaneScaling(8, 0.0), _Job()
    _run(scaling, RELAY, 1.0, job)
    # The worker got busy: the lanes are probed with one alone, which seems to wait little (the
    # others were still ending) but sends an eighth of what they did: all eight come back.
    misleading = _Provider(
        lambda lanes: 95.0 * lanes, lambda lanes: 0.2 if lanes == 1 else 0.6 * lanes, lambda lanes: 0.6
    )
    asked = _run(scaling, misleading, 2 * FIRST_HOLD_SECONDS + 1.0, job)
    assert 1 in asked
    assert asked[-1] == 8
    assert asked.count(1) * TICK <= 0.5


def test_a_count_between_is_doubled_only_for_a_clear_gain_and_halved_only_without_a_clear_loss():
    assert GAIN > 1 > KEEP_DOWN
    # One lane waits four tenths of its time: two lanes; the worker is busy, so they are probed.
    # Four send a twentieth more (noise): not kept. One lane alone is gauged again: two.
    half = _Provider(
        lambda lanes: 1000.0 * {1: 0.6, 2: 1.0, 4: 1.05}[lanes], lambda lanes: 0.4 * lanes, lambda lanes: 0.7
    )
    asked = _run(LaneScaling(8, 0.0), half, 4 * REPROBE_SECONDS)
    assert set(asked) <= {1, 2, 4}
    assert asked.count(2) > 0.8 * len(asked)
    assert asked[-1] == 2


def test_the_most_lanes_that_each_mostly_wait_stay_though_they_keep_the_cpu_busy():
    # A gateway at 100 ms a request, its answers parsed by a busy worker: 0.4 of a core.
    gateway = _Provider(lambda lanes: 9.5 * lanes, lambda lanes: 0.95 * lanes, lambda lanes: 0.05 * lanes)
    asked = _run(LaneScaling(8, 0.0), gateway, 3 * REPROBE_SECONDS)
    assert asked[int(1.0 / TICK) :] == [8] * (len(asked) - int(1.0 / TICK))


def test_one_lane_at_most_is_one_lane():
    assert set(_run(LaneScaling(1, 0.0), RELAY, 2.0)) == {1}


def test_a_slow_gateway_is_gauged_over_more_than_one_message():
    # 300 ms a request: a lane hands over its second message after 0.6 s; nothing moves before.
    slow = _Provider(lambda lanes: 3.3 * lanes, lambda lanes: 0.99 * lanes)
    asked = _run(LaneScaling(8, 0.0), slow, 1.0)
    assert asked[: int(0.55 / TICK)] == [1] * int(0.55 / TICK)
    assert asked[-1] == 8
