"""A lane's time waiting for its provider: off the CPU inside the delivery, the record of the
previous message (``before_handover``) excluded.

The clocks are scripted: what a delivery spends at the CPU and what it waits are the
test's to say, not the machine's scheduler's (a busy thread preempted on a loaded machine
is off the CPU too; the module's docstring says what that does to the share).
"""

from __future__ import annotations

from typing import Any

import pytest

from flask_broadcasts.channels.base import Outcome, Sent
from flask_broadcasts.engine import provider_wait
from flask_broadcasts.engine.provider_wait import ProviderWait


class _Clock:
    """A thread's wall clock and CPU clock, advanced by the channel stand-in."""

    def __init__(self) -> None:
        self.wall = 100.0
        self.cpu = 5.0

    def work(self, seconds: float) -> None:  # at the CPU: both clocks move
        self.wall += seconds
        self.cpu += seconds

    def wait(self, seconds: float) -> None:  # off the CPU: only the wall clock moves
        self.wall += seconds

    # The functions of ``time`` the module reads.
    def perf_counter(self) -> float:
        return self.wall

    def monotonic(self) -> float:
        return self.wall

    def thread_time(self) -> float:
        return self.cpu


@pytest.fixture
def clock(monkeypatch) -> _Clock:
    clock = _Clock()
    monkeypatch.setattr(provider_wait, "time", clock)
    return clock


class _Relay:
    """A channel that builds its message at the CPU, records the previous one, then waits for its server."""

    def __init__(
        self, clock: _Clock, *, busy: float = 0.0, answer: float = 0.0, error: Exception | None = None
    ) -> None:
        self.clock, self.busy, self.answer, self.error = clock, busy, answer, error

    def deliver(self, message: Any, *, before_handover: Any, following: Any | None) -> Outcome:
        self.clock.work(self.busy)
        before_handover()
        self.clock.wait(self.answer)
        if self.error is not None:
            raise self.error
        return Sent("250 ok")

    def close(self) -> None:
        pass


def test_a_delivery_waiting_for_its_server_counts_that_wait_and_not_the_record_before_it(clock):
    waits = ProviderWait()

    def record() -> None:  # the previous message's record: 1 ms at the CPU, 30 ms waiting for the database
        clock.work(0.001)
        clock.wait(0.03)

    outcome = waits.deliver(_Relay(clock, busy=0.002, answer=0.05), "m", before_handover=record, following=None)
    assert isinstance(outcome, Sent)
    assert waits.seconds == pytest.approx(0.05)
    assert waits.at == clock.wall  # when the delivery ended


def test_a_delivery_busy_at_the_cpu_waits_for_nothing(clock):
    waits = ProviderWait()
    for _ in range(3):
        waits.deliver(_Relay(clock, busy=0.02), "m", before_handover=lambda: None, following=None)
    assert waits.seconds == pytest.approx(0.0)


def test_a_delivery_that_raises_still_counts_its_wait(clock):
    waits = ProviderWait()
    with pytest.raises(TimeoutError):
        waits.deliver(
            _Relay(clock, answer=0.04, error=TimeoutError("no answer")),
            "m",
            before_handover=lambda: None,
            following=None,
        )
    assert waits.seconds == pytest.approx(0.04)
