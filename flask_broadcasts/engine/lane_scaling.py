"""How many lanes a send job keeps busy when the operator left the number to it.

More connections only help while each one mostly waits for its provider. Through a relay
across a network (10–100 ms a reply) or an SMS gateway (100–300 ms a request), eight
lanes send about eight times as much as one. Against a server that answers in
microseconds a lane already keeps its worker's CPU busy: more lanes add threads that take
turns under the GIL, database connections and smaller claims, and *cost* throughput — a
fifth to a third of it on two cores, measured in docs/performance.rst.

So with ``BROADCASTS_MAIL_CONNECTIONS`` (or ``BROADCASTS_SMS_CONCURRENCY``) unset, a send
job starts with the most lanes (a provider across a network gets its full speed at once)
and measures how many messages a second they hand over and how much CPU they took
meanwhile. Lanes that together took less than :data:`WAITING_SHARE` of a core mostly wait
for their provider: they stay. Busier lanes are tried with one lane alone. It is kept when
it sends at least :data:`KEEP_DOWN` of the rate, and two are tried next; else the lanes
come back at once (a lane waiting for a relay falls far below within
:data:`EARLY_SECONDS`), and later tries halve them instead. A change that does not pay is
undone, and the job holds — :data:`FIRST_HOLD_SECONDS`, then twice as long each time up to
:data:`REPROBE_SECONDS` — before it tries again, up and down in turn, as the provider's
answer time or the machine's load may have changed. A doubling is kept when the rate rose
by at least :data:`GAIN`.

A retired lane stops before its next message and gives the rest of its claim back
(:func:`~.sending.send_batch`), so the lanes that stay send it; what is in flight is
recorded as always.

:class:`LaneScaling` is the rule alone, fed with the time and the count of messages
handed over; :func:`.lane_crew.supervise` starts and retires the threads it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "EARLY_SECONDS",
    "EARLY_SHARE",
    "FIRST_HOLD_SECONDS",
    "GAIN",
    "KEEP_DOWN",
    "REPROBE_SECONDS",
    "SETTLE_SECONDS",
    "WAITING_SHARE",
    "WINDOW_MESSAGES",
    "WINDOW_SECONDS",
    "LaneScaling",
]

#: Fewer lanes are kept when they send at least this share of what the more did: lanes
#: that wait for their provider lose in proportion, lanes that take turns at the CPU lose
#: nothing (measurement noise on a busy machine is about a tenth).
KEEP_DOWN = 0.9
#: Lanes that together take less than this share of a core wait for their provider most of
#: the time: fewer would send less (through a relay at 10 ms a reply, eight lanes take
#: about 0.2 of a core on two cores shared with PostgreSQL; on loopback about 0.5).
WAITING_SHARE = 0.3
#: Twice the lanes are kept when the rate rose by at least this factor (perfect scaling doubles it).
GAIN = 1.25
#: A measurement lasts at least this long...
WINDOW_SECONDS = 0.25
#: ...and until each lane handed over this many messages (a slow gateway needs longer).
WINDOW_MESSAGES = 4
#: Time given to lanes to claim and open their connections before they are measured.
SETTLE_SECONDS = 0.15
#: A probe of fewer lanes is given up after this long already, when they send less than
#: :data:`EARLY_SHARE` of the rate before it (lanes that wait for their provider).
EARLY_SECONDS = 0.1
EARLY_SHARE = 0.3
#: How long a send job holds its lane count before it tries another again: the first hold
#: is this short (a probe misjudged by noise costs little), each next one twice as long...
FIRST_HOLD_SECONDS = 2.0
#: ...up to this.
REPROBE_SECONDS = 10.0


@dataclass
class _Window:
    started: float
    count: int
    cpu: float | None = None


class LaneScaling:
    """The lane count of one send job, between ``1`` and ``most`` (where it starts).

    Call :meth:`target` now and then with the time (seconds, monotonic), the messages
    handed over so far and the CPU time the lanes took so far (seconds; ``None`` where the
    platform cannot tell a thread's); it answers how many lanes should run.
    """

    def __init__(self, most: int, now: float) -> None:
        self.most = max(1, most)
        self.size = self.most
        self._phase = "settle"
        self._window: _Window | None = None  # starts at the first count seen
        self._next_phase = "measure"
        self._baseline = 0.0  # the rate before the change being probed
        self._kept = self.size  # the count to go back to when the change does not pay
        self._hold_until = 0.0
        self._upward = False  # the direction of the next probe from a count below the most
        self._tried_one = False  # the first probe from the most tries one lane alone
        self._next_hold = FIRST_HOLD_SECONDS
        self._cpu: float | None = None  # the lanes' CPU seconds at the last call

    def target(self, now: float, handed_over: int, cpu: float | None = None) -> int:
        """How many lanes should run now."""
        if self._window is None:
            self._window = _Window(now, handed_over, cpu)
        self._cpu = cpu
        if self._phase == "hold":
            if now >= self._hold_until:
                self._start("measure", now, handed_over)
            return self.size
        if self._phase == "settle":
            if now - self._window.started >= SETTLE_SECONDS:
                self._start(self._next_phase, now, handed_over)
            return self.size
        rate = self._rate(now, handed_over)
        if rate is None and self._phase == "probe" and self.size < self._kept:
            rate = self._clearly_slower(now, handed_over)
        if rate is None:
            return self.size
        if self._phase == "measure":
            self._baseline, self._kept = rate, self.size
            if self.size == self.most and self._waiting(now, cpu):
                self._hold(now, handed_over)
                return self.size
            self._probe(now, handed_over, upward=self.size < self.most and (self._upward or self.size == 1))
            return self.size
        # A probe's answer: keep the change and go on the same way, or go back and hold.
        upward = self.size > self._kept
        paid = rate >= self._baseline * GAIN if upward else rate >= self._baseline * KEEP_DOWN
        if not paid:
            self.size = self._kept
            self._hold(now, handed_over)
            return self.size
        self._baseline, self._kept = rate, self.size
        self._probe(now, handed_over, upward=upward)
        return self.size

    def _probe(self, now: float, handed_over: int, *, upward: bool) -> None:
        """Double or halve the lanes and measure them after they settled (hold at an end)."""
        if upward:
            size = min(self.most, self.size * 2)
        elif not self._tried_one:
            self._tried_one, size = True, 1
        else:
            size = max(1, self.size // 2)
        if size == self.size:
            self._hold(now, handed_over)
            return
        self.size = size
        self._start("settle", now, handed_over, then="probe")

    def _rate(self, now: float, handed_over: int) -> float | None:
        """Messages a second over the current window, once it is long enough (else ``None``)."""
        assert self._window is not None
        elapsed = now - self._window.started
        counted = handed_over - self._window.count
        if elapsed < WINDOW_SECONDS or counted < WINDOW_MESSAGES * self.size:
            return None
        return counted / elapsed

    def _waiting(self, now: float, cpu: float | None) -> bool:
        """Whether the lanes took less than :data:`WAITING_SHARE` of a core over the window."""
        assert self._window is not None
        if cpu is None or self._window.cpu is None:
            return False
        return (cpu - self._window.cpu) / (now - self._window.started) < WAITING_SHARE

    def _clearly_slower(self, now: float, handed_over: int) -> float | None:
        """The probe's rate when, already, fewer lanes send far less than before (else ``None``)."""
        assert self._window is not None
        elapsed = now - self._window.started
        if elapsed < EARLY_SECONDS:
            return None
        rate = (handed_over - self._window.count) / elapsed
        return rate if rate < self._baseline * EARLY_SHARE else None

    def _start(self, phase: str, now: float, handed_over: int, *, then: str = "measure") -> None:
        self._phase, self._next_phase, self._window = phase, then, _Window(now, handed_over, self._cpu)

    def _hold(self, now: float, handed_over: int) -> None:
        self._upward = not self._upward  # the next probe tries the other way
        self._start("hold", now, handed_over)
        self._hold_until = now + self._next_hold
        self._next_hold = min(REPROBE_SECONDS, self._next_hold * 2)
