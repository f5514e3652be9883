"""The supervisor of a send job's lanes: it retires the lanes the rule no longer wants (the
newest first), restarts one for messages a retiring lane gave back, and reads each lane's CPU."""

from __future__ import annotations

import threading
import time

import pytest

from flask_broadcasts.engine import lane_crew
from flask_broadcasts.engine.lane_crew import Crew, Lane, RunOutcome, supervise


def _lane_until(event: threading.Event, lane: Lane) -> Lane:
    """A lane whose thread runs until ``event`` or its own retirement is set, then ends."""

    def run() -> None:
        while not (event.is_set() or lane.retire.is_set()):
            time.sleep(0.005)
        lane.ended.set()

    lane.thread = threading.Thread(target=run, daemon=True)
    lane.thread.start()
    return lane


def _ended_lane() -> Lane:
    lane = Lane()
    lane.ended.set()
    return lane


class _Fewer:
    """A rule that wants one lane whatever it is told."""

    def __init__(self, most: int, now: float) -> None:
        pass

    def target(self, now: float, handed_over: int, cpu: float | None, waited: float, waited_at: float | None) -> int:
        return 1


def test_the_lanes_the_rule_no_longer_wants_are_retired_newest_first_and_the_oldest_sends_on(monkeypatch):
    monkeypatch.setattr(lane_crew, "LaneScaling", _Fewer)
    done = threading.Event()
    crew = Crew(most=3, size=3)
    crew.lanes = [_lane_until(done, Lane()) for _ in range(3)]
    threading.Timer(0.3, done.set).start()  # the run ends: the remaining lane finds nothing more

    supervise(crew, RunOutcome(), start_lane=lambda: pytest.fail("no lane is added"))

    assert [lane.retire.is_set() for lane in crew.lanes] == [False, True, True]
    assert crew.size == 1 and all(lane.ended.is_set() for lane in crew.lanes)


def test_messages_given_back_as_every_other_lane_ended_get_one_lane_started_for_them():
    crew = Crew(most=2, size=1)
    retired = _ended_lane()
    retired.retire.set()
    crew.lanes = [retired]
    outcome = RunOutcome(given_back=True)
    started: list[Lane] = []

    def start_lane() -> None:  # the new lane sends what was given back, then finds nothing and ends
        started.append(_ended_lane())
        crew.lanes.append(started[-1])

    supervise(crew, outcome, start_lane)

    assert len(started) == 1 and outcome.given_back is False


def test_after_a_lanes_error_nothing_is_started_for_messages_given_back():
    crew = Crew(most=2, size=1)
    crew.lanes = [_ended_lane()]
    outcome = RunOutcome(given_back=True, error=RuntimeError("a lost answer"))

    supervise(crew, outcome, start_lane=lambda: pytest.fail("no lane is started after an error"))


@pytest.mark.skipif(not hasattr(time, "pthread_getcpuclockid"), reason="this platform cannot read a thread's CPU")
def test_a_lanes_cpu_is_what_its_thread_took_and_is_kept_once_it_ended():
    spun, finish = threading.Event(), threading.Event()
    lane = Lane()

    def run() -> None:
        until = time.thread_time() + 0.1
        while time.thread_time() < until:
            pass
        spun.set()
        finish.wait()
        lane.ended.set()

    lane.thread = threading.Thread(target=run, daemon=True)
    lane.thread.start()
    assert spun.wait(10)
    taken = lane.cpu()
    finish.set()
    lane.thread.join()

    assert taken is not None and 0.1 <= taken < 5
    assert lane.cpu() == taken  # its thread is gone: the last reading stays
