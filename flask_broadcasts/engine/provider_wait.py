"""How long a lane's deliveries waited for their providers' answers.

The send job sizes its lanes by it (:mod:`.lane_scaling`): a lane that waits most of its
time for a relay leaves room for more lanes; one that waits for the CPU or the database
does not. What a delivery waits for its provider is the time it spent off the CPU, less
the time its ``before_handover`` spent off the CPU: that callback finishes recording the
previous message, a wait for the database, not for the provider. A busy thread the
system preempts is off the CPU too, so on a saturated machine the share errs towards
more lanes: of 60 ms of pure CPU work in deliveries, 12 ms counted as waiting during a
CI check, and all of it beside two busy-loop processes on two cores. On the benchmark's
loopback (two workers and PostgreSQL on two cores) a lane alone still measured 0.03–0.25.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from ..channels.base import Channel, Outcome

__all__ = ["ProviderWait"]


class _OffCpu:
    """A callback that counts the seconds it spent off the CPU."""

    __slots__ = ("callback", "seconds")

    def __init__(self, callback: Callable[[], None]) -> None:
        self.callback = callback
        self.seconds = 0.0

    def __call__(self) -> None:
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            self.callback()
        finally:
            self.seconds += (time.perf_counter() - wall) - (time.thread_time() - cpu)


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
        recording = _OffCpu(before_handover)
        wall, cpu = time.perf_counter(), time.thread_time()
        try:
            return channel.deliver(message, before_handover=recording, following=following)
        finally:
            off_cpu = (time.perf_counter() - wall) - (time.thread_time() - cpu)
            self.seconds += max(0.0, off_cpu - recording.seconds)
            self.at = time.monotonic()
