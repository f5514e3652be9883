"""How many lanes a send job keeps busy when the operator left the number to it.

More connections only help while each one mostly waits for its provider. Through a relay
across a network (10–100 ms a reply) or an SMS gateway (100–300 ms a request), eight
lanes send about eight times as much as one. Against a server that answers in
microseconds a lane already keeps its worker busy — at the CPU, or waiting for the
database that every worker shares: more lanes add threads that take turns under the GIL,
database connections and smaller claims, and *cost* throughput (two cores, PostgreSQL,
two workers on loopback: one lane each 1,171–1,445 msg/s, two 1,171, eight 728–876;
docs/performance.rst).

So with ``BROADCASTS_MAIL_CONNECTIONS`` (or ``BROADCASTS_SMS_CONCURRENCY``) unset, a send
job starts with **one lane** and *gauges* it: over :data:`GAUGE_SECONDS` (and at least
:data:`GAUGE_MESSAGES`) it measures which share ``w`` of the time the lane spent waiting
for its provider's answers — off the CPU inside a channel's delivery, the record of the
message before excluded (:mod:`.provider_wait`). A lane that waits at least
:data:`PROVIDER_BOUND` of its time is held back by its provider: the most lanes are started
at once (a relay at 10 ms: ``w`` ≈ 0.65, all 8). Below, ``1 / (1 - w)`` lanes keep the rest
of the work (the CPU, the database) busy without queueing on it: one, or two (a server on
loopback: ``w`` ≈ 0.03–0.25, one).

A lane alone gauges exactly: several lanes of a busy worker wait for the GIL too, and a
worker that compares its own rate with more lanes and fewer is misled by the other
workers — with more lanes it takes a larger share of the database they all wait for,
which looks like a gain while the campaign as a whole sends less. The same count then
holds — :data:`FIRST_HOLD_SECONDS`, then twice as long each time up to
:data:`REPROBE_SECONDS` — before it is looked at again, as the provider's answer time or
the machine's load may have changed:

* one lane is gauged again (it costs nothing: it runs alone already);
* the most lanes that together take less than :data:`WAITING_SHARE` of a core, or that
  each waited :data:`LANES_WAITING` of their time for their provider, stay;
* any other count is probed: halved (the first time straight to one lane, gauged, and
  kept only if it also sent :data:`KEEP_DOWN` of their rate), or doubled in turn. A
  doubling is kept when the rate rose by at least :data:`GAIN`, a halving when it kept
  :data:`KEEP_DOWN` of it; a change that does not pay is undone.

A retired lane stops before its next message and gives the rest of its claim back
(:func:`~.sending.send_batch`), so the lanes that stay send it; what is in flight is
recorded as always.

:class:`LaneScaling` is the rule alone, fed with the time, the count of messages handed
over, the lanes' CPU time and their time spent waiting for providers;
:func:`.lane_crew.supervise` starts and retires the threads it asks for.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "FIRST_HOLD_SECONDS",
    "GAIN",
    "GAUGE_MESSAGES",
    "GAUGE_SECONDS",
    "KEEP_DOWN",
    "LANES_WAITING",
    "PROVIDER_BOUND",
    "REPROBE_SECONDS",
    "SETTLE_SECONDS",
    "WAITING_SHARE",
    "WINDOW_MESSAGES",
    "WINDOW_SECONDS",
    "LaneScaling",
    "lanes_for",
]

#: A lane alone that waits for its provider at least this share of its time is held back by
#: the provider, not by its worker: the most lanes, at once. ``1 / (1 - share)`` may ask for
#: fewer than pay there: a lane's record is a wait too, left out of the share because on a
#: busy machine it waits for the database's CPU, yet lanes overlap those commits. Through a
#: relay at 10 ms a lane alone waited 0.62–0.80 of its time on two busy cores, where the two
#: or three lanes that asks for sent as much as eight (274 msg/s against 251–319); on a
#: faster machine eight sent 5.8 times one lane's rate (695 against 119 msg/s), which three
#: could at most have tripled (docs/performance.rst).
PROVIDER_BOUND = 0.5
#: A lane alone is gauged over at least this long...
GAUGE_SECONDS = 0.1
#: ...and until it handed over this many messages (a slow gateway needs longer).
GAUGE_MESSAGES = 2
#: Fewer lanes are kept when they send at least this share of what the more did: lanes
#: that wait for their provider lose in proportion, lanes that take turns at the CPU lose
#: nothing (measurement noise on a busy machine is about a tenth).
KEEP_DOWN = 0.9
#: The most lanes that together take less than this share of a core wait for their provider
#: most of the time: fewer would send less (through a relay at 10 ms a reply, eight lanes
#: take about 0.2 of a core on two cores shared with PostgreSQL; on loopback about 0.5).
WAITING_SHARE = 0.3
#: The most lanes that each waited at least this share of their time for their provider
#: stay too (the benchmark's SMS gateway at 100 ms a request on a slow machine: 8 lanes took
#: more than :data:`WAITING_SHARE` of a core, were probed, and came back). Several
#: lanes of a busy worker wait for the GIL as well, inside a delivery as outside: only a
#: clear share counts.
LANES_WAITING = 0.8
#: Twice the lanes are kept when the rate rose by at least this factor (perfect scaling doubles it).
GAIN = 1.25
#: A measurement of several lanes lasts at least this long...
WINDOW_SECONDS = 0.25
#: ...and until each lane handed over this many messages.
WINDOW_MESSAGES = 4
#: Time given to lanes to claim and open their connections before they are measured.
SETTLE_SECONDS = 0.15
#: How long a send job holds its lane count before it looks at it again: the first hold
#: is this short (a count misjudged by noise costs little), each next one twice as long...
FIRST_HOLD_SECONDS = 2.0
#: ...up to this.
REPROBE_SECONDS = 10.0


def lanes_for(waiting_share: float, most: int) -> int:
    """The lanes for a send job whose lane alone waits ``waiting_share`` of its time for its
    provider: the most from :data:`PROVIDER_BOUND` on, else ``1 / (1 - share)`` (1 or 2)."""
    if waiting_share >= PROVIDER_BOUND:
        return most
    return max(1, min(most, round(1 / (1 - max(0.0, waiting_share)))))


@dataclass
class _Window:
    started: float
    count: int
    cpu: float | None = None
    waited: float = 0.0
    waited_at: float | None = None


class LaneScaling:
    """The lane count of one send job, between ``1`` (where it starts) and ``most``.

    Call :meth:`target` now and then with the time (seconds, monotonic), the messages
    handed over so far, the CPU time the lanes took so far (seconds; ``None`` where the
    platform cannot tell a thread's), the time they spent waiting for their providers so
    far (seconds) and when that last grew (the end of the latest delivery; ``None``: none
    ended yet); it answers how many lanes should run.
    """

    def __init__(self, most: int, now: float) -> None:
        self.most = max(1, most)
        self.size = 1
        self._phase = "gauge"
        self._window: _Window | None = None  # starts at the first message handed over
        self._next_phase = "measure"
        self._baseline = 0.0  # the rate before the change being probed
        self._kept = self.size  # the count to go back to when the change does not pay
        self._hold_until = 0.0
        self._upward = False  # the direction of the next probe
        self._tried_one = False  # the first probe down tries one lane alone
        self._next_hold = FIRST_HOLD_SECONDS
        self._cpu: float | None = None  # the lanes' CPU seconds at the last call
        self._waited = 0.0  # their seconds waiting for providers at the last call...
        self._waited_at: float | None = None  # ...and when that last grew

    def target(
        self,
        now: float,
        handed_over: int,
        cpu: float | None = None,
        waited: float = 0.0,
        waited_at: float | None = None,
    ) -> int:
        """How many lanes should run now."""
        if self._window is None or (self._phase == "gauge" and self._window.waited_at is None):
            # A gauge starts at the end of a delivery: the lane's first claim and its connection are not waiting.
            self._window = _Window(now, handed_over, cpu, waited, waited_at)
        self._cpu, self._waited, self._waited_at = cpu, waited, waited_at
        if self._phase == "hold":
            if now >= self._hold_until:
                self._start("gauge" if self.size == 1 else "measure", now, handed_over)
            return self.size
        if self._phase == "settle":
            if now - self._window.started >= SETTLE_SECONDS:
                self._start(self._next_phase, now, handed_over)
            return self.size
        if self._phase == "gauge":
            return self._gauge(now, handed_over, waited, waited_at)
        rate = self._rate(now, handed_over)
        if rate is None:
            return self.size
        if self._phase == "measure":
            self._baseline, self._kept = rate, self.size
            if self.size == self.most and (self._waiting(now, cpu) or self._waiting_for_provider(now, waited)):
                self._hold(now, handed_over)
                return self.size
            self._probe(now, handed_over, upward=self.size < self.most and self._upward)
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

    def _gauge(self, now: float, handed_over: int, waited: float, waited_at: float | None) -> int:
        """One lane alone: once gauged, as many lanes as its share of waiting asks for, held."""
        assert self._window is not None
        if now - self._window.started < GAUGE_SECONDS or handed_over - self._window.count < GAUGE_MESSAGES:
            return self.size
        if waited_at is None or self._window.waited_at is None or waited_at <= self._window.waited_at:
            return self.size
        # Between the ends of two deliveries: whole deliveries, none counted in part.
        elapsed = waited_at - self._window.waited_at
        wanted = lanes_for((waited - self._window.waited) / elapsed, self.most)
        rate = (handed_over - self._window.count) / (now - self._window.started)
        if wanted < self._kept and rate < self._baseline * KEEP_DOWN:
            # A probe from more lanes: the lane alone sent clearly less than they did (they
            # were still ending, or overlapped what the share leaves out): they come back.
            wanted = self._kept
        self.size = self._kept = wanted
        self._hold(now, handed_over)
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
        # One lane alone is gauged, not compared: see the module's docstring.
        self._start("settle", now, handed_over, then="gauge" if size == 1 else "probe")

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

    def _waiting_for_provider(self, now: float, waited: float) -> bool:
        """Whether each lane waited at least :data:`LANES_WAITING` of the window for its provider."""
        assert self._window is not None
        return (waited - self._window.waited) / (self.size * (now - self._window.started)) >= LANES_WAITING

    def _start(self, phase: str, now: float, handed_over: int, *, then: str = "measure") -> None:
        self._phase, self._next_phase = phase, then
        self._window = _Window(now, handed_over, self._cpu, self._waited, self._waited_at)

    def _hold(self, now: float, handed_over: int) -> None:
        self._upward = not self._upward  # the next probe tries the other way
        self._start("hold", now, handed_over)
        self._hold_until = now + self._next_hold
        self._next_hold = min(REPROBE_SECONDS, self._next_hold * 2)
