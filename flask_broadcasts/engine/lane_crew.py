"""The lanes of one send job as its thread sees them, and the supervisor that adds and retires them.

:mod:`.lanes` starts each lane's thread and runs its batches; this module holds what the
lanes share with the job's thread — how they ended (:class:`RunOutcome`), each one's
progress and CPU (:class:`Lane`) — and, when the operator left the number of connections
unset, :func:`supervise`: every :data:`SCALE_TICK` it feeds :class:`~.lane_scaling.LaneScaling`
the messages handed over, the CPU taken and the time spent waiting for providers, and
starts or retires lanes as it says.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from .lane_scaling import LaneScaling
from .run_channels import RunChannels

__all__ = ["SCALE_TICK", "Crew", "Lane", "RunOutcome", "supervise"]

log = logging.getLogger(__name__)


@dataclass
class RunOutcome:
    """How a send job's lanes ended: messages settled, and whether the run must go on in a new job."""

    settled: int = 0
    #: A lane stopped for the job's budget or a warm stop while messages were left.
    hand_over: bool = False
    #: The first error a lane raised (re-raised by :func:`.lanes.send_run`).
    error: BaseException | None = None
    #: When the latest provider pause a lane met ends (seconds since the epoch), if one did.
    throttled_until: float | None = None
    #: A retiring lane gave messages of its claim back (module lane_scaling).
    given_back: bool = False
    lock: threading.Lock = field(default_factory=threading.Lock, repr=False)


@dataclass
class Lane:
    """One lane's thread, what it handed over so far, and whether it is asked to retire."""

    thread: threading.Thread | None = None
    #: Its channels, once the lane made them: their count of messages handed over.
    channels: RunChannels | None = None
    retire: threading.Event = field(default_factory=threading.Event)
    ended: threading.Event = field(default_factory=threading.Event)

    #: Its thread's CPU seconds when last read (kept once the thread has ended).
    cpu_seconds: float = 0.0
    #: Its thread's seconds in the run queue when last read (kept once the thread has ended).
    queued_seconds: float = 0.0

    @property
    def handed_over(self) -> int:
        return self.channels.handed_over if self.channels is not None else 0

    @property
    def waited(self) -> tuple[float, float | None]:
        """Seconds its channels waited for their providers' answers so far, and when the latest ended."""
        if self.channels is None:
            return 0.0, None
        return self.channels.waits.seconds, self.channels.waits.at

    def cpu(self) -> float | None:
        """Seconds of CPU its thread took so far (``None``: this platform cannot tell)."""
        if not hasattr(time, "pthread_getcpuclockid"):
            return None
        thread = self.thread
        if thread is not None and thread.ident is not None and not self.ended.is_set():
            try:
                self.cpu_seconds = time.clock_gettime(time.pthread_getcpuclockid(thread.ident))
            except OSError:  # the thread ended between the check and the read
                pass
        return self.cpu_seconds

    def queued(self) -> float | None:
        """Seconds its thread was ready to run but waited for a CPU, so far (``None``: this
        platform does not count them; Linux does, in ``/proc/self/task/<tid>/schedstat``).

        A thread the system preempts is off the CPU, and a delivery counts it as waiting for
        the provider (:mod:`.provider_wait`); the supervisor takes it back out.
        """
        if not _SCHEDSTAT_READABLE:
            return None
        thread = self.thread
        if thread is not None and thread.native_id is not None and not self.ended.is_set():
            try:
                with open(f"/proc/self/task/{thread.native_id}/schedstat", "rb") as stats:
                    self.queued_seconds = int(stats.read().split()[1]) / 1e9
            except FileNotFoundError:  # the thread ended between the check and the read
                pass
            except (OSError, IndexError, ValueError):
                return None
        return self.queued_seconds


#: Whether this system counts each thread's run-queue time (Linux's schedstat).
_SCHEDSTAT_READABLE = os.path.exists("/proc/thread-self/schedstat")


@dataclass
class Crew:
    """The lanes of one send job: at most ``most``, ``size`` of them meant to run now."""

    most: int
    size: int
    campaign_id: int = 0
    lanes: list[Lane] = field(default_factory=list)


#: How often the send job's thread looks at its lanes' progress while it scales them.
SCALE_TICK = 0.05


def supervise(crew: Crew, outcome: RunOutcome, start_lane: Callable[[], None]) -> None:
    """Add and retire lanes as :class:`~.lane_scaling.LaneScaling` says, until every lane ended."""
    scaling = LaneScaling(crew.most, time.monotonic())
    while True:
        running = [lane for lane in crew.lanes if not lane.ended.is_set()]
        going_on = outcome.error is None and not outcome.hand_over and outcome.throttled_until is None
        if not running:
            if not (going_on and outcome.given_back):
                return
            # A lane retired and gave its claim back just as the others found nothing to claim.
            outcome.given_back = False
            start_lane()
            continue
        # A lane that ended unasked found nothing left to claim: the run is ending, and a
        # lane started now would only find nothing too.
        draining = any(lane.ended.is_set() and not lane.retire.is_set() for lane in crew.lanes)
        if going_on and not draining:
            cpu = [lane.cpu() for lane in crew.lanes]
            waits = [lane.waited for lane in crew.lanes]
            queued = [lane.queued() for lane in crew.lanes]
            waited = sum(seconds for seconds, _ in waits)
            if None not in queued:
                # Waiting for a CPU is not waiting for the provider. All of it is taken out,
                # also what fell between deliveries: on a saturated machine the share errs
                # towards fewer lanes, which is what a machine with no CPU to spare can use.
                waited -= sum(q or 0.0 for q in queued)
            wanted = scaling.target(
                time.monotonic(),
                sum(lane.handed_over for lane in crew.lanes),
                None if None in cpu else sum(c or 0.0 for c in cpu),
                waited,
                max((at for _, at in waits if at is not None), default=None),
            )
            if wanted != crew.size:
                log.info("campaign %s: %d lanes (was %d)", crew.campaign_id, wanted, crew.size)
            active = [lane for lane in running if not lane.retire.is_set()]
            for _ in range(wanted - len(active)):
                start_lane()
            for lane in active[wanted:]:  # the newest first: they hold the smallest claims
                lane.retire.set()
            crew.size = wanted
        running[0].ended.wait(SCALE_TICK)
