"""How long a lane's deliveries waited for their providers' answers.

The send job sizes its lanes by it (:mod:`.lane_scaling`): a lane that waits most of its
time for a relay leaves room for more lanes; one that waits for the CPU or the database
does not. What a delivery waits for its provider is the time it spent off the CPU, less
the time its ``before_handover`` spent off the CPU: that callback finishes recording the
previous message, a wait for the database, not for the provider. A busy thread the
system preempts is off the CPU too (of 60 ms of pure CPU work in deliveries, 12 ms counted
as waiting during a CI check, and all of it beside two busy-loop processes on two cores):
the supervisor takes each lane's time in the run queue back out where the system counts it
(:meth:`.lane_crew.Lane.queued`). On the benchmark's loopback (two workers and PostgreSQL
on two cores) a lane's thread spent 0.95 s of 4.7 in the run queue and its deliveries
0.63 s off the CPU; through a relay at 10 ms, 0.2 s and 1.7 of 2.1.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..channels.base import Channel, Outcome

__all__ = ["ProviderWait"]


class _OffCpu:
    """The seconds the blocks run under it (``with off_cpu: ...``) spent off the CPU, summed."""

    __slots__ = ("_cpu", "_wall", "seconds")

    def __init__(self) -> None:
        self.seconds = 0.0
        self._wall = self._cpu = 0.0

    def __enter__(self) -> None:
        self._wall, self._cpu = time.perf_counter(), time.thread_time()

    def __exit__(self, *exc_info: object) -> None:
        self.seconds += (time.perf_counter() - self._wall) - (time.thread_time() - self._cpu)


class ProviderWait:
    """The seconds one lane's deliveries waited for their providers, summed (:attr:`seconds`),
    and when the latest delivery ended (:attr:`at`, :func:`time.monotonic`).

    A share of waiting taken between two values of :attr:`at` spans whole deliveries, so it
    is exact even over a few slow ones (a gateway's 100 ms requests), where a share of a
    clock's interval would count a delivery in flight as not waiting.
    """

    def __init__(self) -> None:
        self.seconds = 0.0
        self.at: float | None = None

    def deliver(
        self, channel: Channel, message: Any, *, before_handover: Callable[[], None], following: Any | None
    ) -> Outcome:
        """``channel.deliver(...)``, counting the time it waited for the provider."""
        delivering, recording = _OffCpu(), _OffCpu()

        def record_the_previous() -> None:
            with recording:
                before_handover()

        try:
            with delivering:
                return channel.deliver(message, before_handover=record_the_previous, following=following)
        finally:
            self.seconds += max(0.0, delivering.seconds - recording.seconds)
            self.at = time.monotonic()
