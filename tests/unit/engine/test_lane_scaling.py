"""How many lanes a send job keeps when the operator left the number to it: as many as pay.

The rule is fed the rates a real job would see: lanes that wait for their provider send
in proportion to their number, lanes that take turns at the CPU send the same however many.
"""

from __future__ import annotations

from collections.abc import Callable

from flask_broadcasts.engine.lane_scaling import (
    EARLY_SECONDS,
    GAIN,
    KEEP_DOWN,
    REPROBE_SECONDS,
    SETTLE_SECONDS,
    WINDOW_SECONDS,
    LaneScaling,
)

TICK = 0.05


class _Job:
    """A send job's clock and count of messages handed over, across the phases of a test."""

    now = 0.0
    sent = 0.0
    cpu = 0.0


def _run(
    scaling: LaneScaling,
    rate_of: Callable[[int], float],
    seconds: float,
    job: _Job | None = None,
    cpu_of: Callable[[int], float] | None = None,
) -> list[int]:
    """Tick the rule for ``seconds``, the lanes sending ``rate_of(lanes)`` a second (and taking
    ``cpu_of(lanes)`` of a core, when given); the counts it asked for."""
    job = job or _Job()
    asked = []
    end = job.now + seconds
    while job.now < end:
        size = scaling.target(job.now, int(job.sent), None if cpu_of is None else job.cpu)
        asked.append(size)
        job.sent += rate_of(size) * TICK
        job.cpu += (cpu_of(size) if cpu_of is not None else 0.0) * TICK
        job.now += TICK
    return asked


def _waiting_for_a_relay(lanes: int) -> float:
    return 95.0 * lanes  # 10 ms a reply: each lane sends 95 a second


def _on_a_fast_server(lanes: int) -> float:
    return 1400.0 if lanes == 1 else 1300.0  # one core's worth, a little less with threads taking turns


def test_lanes_waiting_for_their_provider_stay_at_the_most():
    scaling = LaneScaling(8, 0.0)
    asked = _run(scaling, _waiting_for_a_relay, 3.0)
    assert asked[0] == 8  # the full speed at once
    assert asked[-1] == 8
    assert min(asked) == 1  # one probe of a lane alone, given up...
    assert asked.count(1) * TICK <= SETTLE_SECONDS + EARLY_SECONDS + 2 * TICK  # ...as soon as it is clearly slower


def test_lanes_that_mostly_wait_are_not_even_probed_with_fewer():
    # Eight lanes through a relay take a fifth of a core: no lane is retired to find out.
    scaling = LaneScaling(8, 0.0)
    asked = _run(scaling, _waiting_for_a_relay, 3.0, cpu_of=lambda lanes: 0.025 * lanes)
    assert set(asked) == {8}


def test_lanes_busy_at_the_cpu_are_probed_with_fewer_and_come_down_to_one():
    scaling = LaneScaling(8, 0.0)
    asked = _run(scaling, _on_a_fast_server, 3.0, cpu_of=lambda lanes: 0.6)
    assert asked[-1] == 1


def test_lanes_taking_turns_at_the_cpu_come_down_to_one():
    scaling = LaneScaling(8, 0.0)
    asked = _run(scaling, _on_a_fast_server, 3.0)
    assert asked[0] == 8
    assert asked[-1] == 1
    assert asked.index(1) * TICK < 2.0  # 8, 4, 2, 1 within two seconds


def test_a_provider_that_slows_down_gets_its_lanes_back_at_the_next_probe():
    scaling, job = LaneScaling(8, 0.0), _Job()
    _run(scaling, _on_a_fast_server, 3.0, job)
    assert scaling.size == 1
    # The relay now answers in 10 ms: within a probe interval or two the lanes double back up.
    asked = _run(scaling, _waiting_for_a_relay, 2 * REPROBE_SECONDS, job)
    assert asked[-1] == 8


def test_a_doubling_is_kept_only_for_a_clear_gain_and_a_halving_only_without_a_clear_loss():
    assert GAIN > 1 > KEEP_DOWN
    scaling = LaneScaling(8, 0.0)
    # One lane alone loses four tenths: the lanes come back. At the next try, halving loses a
    # twentieth (noise): kept, twice. Below that the rate falls by a third: not.
    asked = _run(scaling, lambda lanes: 1000.0 * {8: 1.0, 4: 0.95, 2: 0.9, 1: 0.6}[lanes], REPROBE_SECONDS + 3.0)
    assert asked[int(3.0 / TICK)] == 8
    assert asked[-1] == 2


def test_one_lane_at_most_is_one_lane():
    scaling = LaneScaling(1, 0.0)
    assert set(_run(scaling, _waiting_for_a_relay, 2.0)) == {1}


def test_a_slow_gateway_is_measured_over_more_messages_before_anything_changes():
    scaling = LaneScaling(8, 0.0)
    # 8 lanes at 300 ms a request: 27 a second, fewer than 4 per lane in a window; nothing moves yet.
    asked = _run(scaling, lambda lanes: 3.3 * lanes, SETTLE_SECONDS + WINDOW_SECONDS + 0.5)
    assert set(asked) == {8}
