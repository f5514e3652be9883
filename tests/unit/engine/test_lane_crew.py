"""The supervisor of a send job's lanes: it retires the lanes the rule no longer wants (the
newest first), restarts one for messages a retiring lane gave back, reads each lane's CPU, and
tells the rule the time its lanes waited for their providers, less their time waiting for a CPU."""

from __future__ import annotations

import os
import subprocess
import sys
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


def _spinning_lane(cpu_seconds: float, *, within: float) -> tuple[Lane, threading.Event]:
    """A lane whose thread has taken ``cpu_seconds`` of CPU (waited for, up to ``within`` s)
    and now waits, alive, for the event returned (see :func:`_end`)."""
    spun, finish = threading.Event(), threading.Event()
    lane = Lane()

    def run() -> None:
        until = time.thread_time() + cpu_seconds
        while time.thread_time() < until:
            pass
        spun.set()
        finish.wait()
        lane.ended.set()

    lane.thread = threading.Thread(target=run, daemon=True)
    lane.thread.start()
    assert spun.wait(within)
    return lane, finish


def _end(lane: Lane, finish: threading.Event) -> None:
    """Let a :func:`_spinning_lane` end, and wait until its thread is gone."""
    finish.set()
    assert lane.thread is not None
    lane.thread.join()


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
    lane, finish = _spinning_lane(0.1, within=10)
    taken = lane.cpu()
    _end(lane, finish)

    assert taken is not None and 0.1 <= taken < 5
    assert lane.cpu() == taken  # its thread is gone: the last reading stays


class _Told:
    """A rule that keeps the lanes it has and notes the provider wait it is told."""

    told: list[float] = []

    def __init__(self, most: int, now: float) -> None:
        pass

    def target(self, now: float, handed_over: int, cpu: float | None, waited: float, waited_at: float | None) -> int:
        _Told.told.append(waited)
        return 1


class _MeasuredLane(Lane):
    """A lane whose deliveries waited 0.7 s off the CPU, 0.2 s of it in the run queue."""

    @property
    def waited(self) -> tuple[float, float | None]:
        return 0.7, 12.0

    def queued(self) -> float | None:
        return self.queued_seconds


@pytest.mark.parametrize(("queued", "told"), [(0.2, 0.5), (None, 0.7)])
def test_the_time_a_lane_waited_for_a_cpu_is_not_counted_as_waiting_for_its_provider(monkeypatch, queued, told):
    monkeypatch.setattr(lane_crew, "LaneScaling", _Told)
    _Told.told = []
    done = threading.Event()
    lane = _lane_until(done, _MeasuredLane())
    if queued is None:  # a platform that does not count run-queue time: no correction
        monkeypatch.setattr(_MeasuredLane, "queued", lambda self: None)
    else:
        lane.queued_seconds = queued
    crew = Crew(most=2, size=1)
    crew.lanes = [lane]
    threading.Timer(0.15, done.set).start()

    supervise(crew, RunOutcome(), start_lane=lambda: pytest.fail("no lane is added"))

    assert _Told.told and all(value == pytest.approx(told) for value in _Told.told)


@pytest.mark.skipif(not lane_crew._SCHEDSTAT_READABLE, reason="this system does not count a thread's run-queue time")
def test_a_lanes_run_queue_time_grows_while_busy_processes_take_every_cpu_and_is_kept_once_it_ended():
    busy = [
        subprocess.Popen([sys.executable, "-c", "while True: pass"])  # noqa: S603 - our own interpreter
        for _ in range((os.cpu_count() or 1) + 1)
    ]
    try:
        lane, finish = _spinning_lane(0.2, within=30)
    finally:
        for process in busy:
            process.kill()
            process.wait()
    queued = lane.queued()
    _end(lane, finish)

    assert queued is not None and queued > 0.01  # 0.2 s of CPU among more busy threads than CPUs
    assert lane.queued() == queued  # its thread is gone: the last reading stays
