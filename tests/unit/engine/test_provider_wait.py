"""A lane's time waiting for its provider: off the CPU inside the delivery, the record of the
previous message (``before_handover``) excluded."""

from __future__ import annotations

import time
from typing import Any

import pytest

from flask_broadcasts.channels.base import Outcome, Sent
from flask_broadcasts.engine.provider_wait import ProviderWait


class _Relay:
    """A channel that spends ``busy`` seconds at the CPU and waits ``answer`` seconds for its server."""

    def __init__(self, *, busy: float = 0.0, answer: float = 0.0) -> None:
        self.busy, self.answer = busy, answer

    def deliver(self, message: Any, *, before_handover: Any, following: Any | None) -> Outcome:
        end = time.thread_time() + self.busy
        while time.thread_time() < end:
            pass
        before_handover()
        time.sleep(self.answer)
        return Sent("250 ok")

    def close(self) -> None:
        pass


def test_a_delivery_waiting_for_its_server_counts_that_wait_and_not_the_record_before_it():
    waits = ProviderWait()
    outcome = waits.deliver(_Relay(answer=0.05), "m", before_handover=lambda: time.sleep(0.03), following=None)
    assert isinstance(outcome, Sent)
    assert waits.seconds == pytest.approx(0.05, abs=0.015)


def test_a_delivery_busy_at_the_cpu_waits_for_nothing():
    waits = ProviderWait()
    for _ in range(3):
        waits.deliver(_Relay(busy=0.02), "m", before_handover=lambda: None, following=None)
    assert waits.seconds < 0.01


def test_a_delivery_that_raises_still_counts_its_wait():
    class _Lost(_Relay):
        def deliver(self, message: Any, *, before_handover: Any, following: Any | None) -> Outcome:
            time.sleep(0.04)
            raise TimeoutError("no answer")

    waits = ProviderWait()
    with pytest.raises(TimeoutError):
        waits.deliver(_Lost(), "m", before_handover=lambda: None, following=None)
    assert waits.seconds == pytest.approx(0.04, abs=0.015)
