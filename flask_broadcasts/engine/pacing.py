"""Pacing: rate limits every worker shares through Redis, and the pause a provider asks for.

**Rate limits.** ``BROADCASTS_RATE_LIMITS`` caps a channel (``{"mail": 50, "sms": 1}``:
messages per second, SMS counting segments) for the whole deployment; the host's
``rate_limit(organization_id, channel)`` hook may cap one organization (its plan); a
message waits for a slot under both, so the lower wins. Every lane of every worker
reserves its slot with one Lua script (:data:`_RESERVE`), a GCRA ("generic cell rate
algorithm") over Redis's own clock: each key holds the time its next slot is free, a
hand-over reserves ``cost / rate`` seconds from there and the lane sleeps until its slot.
So slots are spaced evenly — no second at the server holds more than the limit, however
many workers there are and whatever their clocks say — and a limit is used to the full
while lanes wait for slots. One round trip per message (a channel without a limit asks only
whether its provider paused it, once per process every :data:`PAUSE_RECHECK`); its cost and why
not the ``limits`` library are in docs/performance.rst. A lane never reserves further
ahead than :data:`MAX_AHEAD`: it sleeps until it may (renewing its claim), so a low rate
never outlasts a claim's lease.

**Back-off when told.** A :class:`~flask_broadcasts.channels.base.RetryLater` from a
channel (SMTP 421/451/452/454 before the recipient, a relay down, Twilio 429/503) pauses
*that channel* for every worker (:func:`throttle`): until the time the provider named
(``after``), else for an exponential back-off with jitter
(``BROADCASTS_THROTTLE_BACKOFF``, doubling while the provider keeps refusing). The same
script sees the pause: a lane whose next message would wait past :data:`MAX_AHEAD` hands
its claim back (:class:`Throttled`) and the send job queues the run's next one for the
pause's end. No message pays a try; nothing is lost (released claims) or sent twice.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ..channels.base import RetryLater
from ..rendering.sms import sms_info

if TYPE_CHECKING:
    from redis import Redis

    from ..state import BroadcastsState

__all__ = ["MAX_AHEAD", "Pacer", "Throttled", "clear_backoff", "limits_of", "throttle", "throttled_until"]

#: Seconds ahead a lane may reserve a slot. Beyond it the lane sleeps and asks again (its
#: claim renewed meanwhile); a provider's pause longer than this hands the claim back.
MAX_AHEAD = 2.0

#: How long the host's ``rate_limit`` answer is kept by a lane before it asks again.
HOOK_TTL = 30.0

#: With no limit on its channel, a worker process asks Redis whether the provider paused
#: sending at most this often (seconds), not before every message: the question alone cost
#: about as much CPU as a third of the rest of a message's send (docs/performance.rst). A
#: pause is then seen by every lane within this long, as if those messages were already on
#: their way when the provider refused. Once per process, not per lane: 8 lanes asking
#: each were 8 times the round trips for the same answer.
PAUSE_RECHECK = 0.05

#: Per Redis and pause key: until when (monotonic) this process's lanes need not ask (see above).
_unpaused_until: dict[tuple[str, str], float] = {}

# KEYS: the n limit keys, then the channel's pause key. ARGV: n, the n intervals (µs),
# then the most µs a reservation may lie ahead. Returns {reserved, µs to wait, pause end}
# (reserved: sleep that long, then hand over; else ask again then; the end of the
# provider's pause, µs since the epoch, when there is one, else 0).
# Times are Redis's (TIME): one clock for every worker on every machine.
_RESERVE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = tonumber(ARGV[1])
local ahead = tonumber(ARGV[n + 2])
local paused = tonumber(redis.call('GET', KEYS[n + 1]) or '0')
if paused > now then
  return {0, paused - now, string.format('%.0f', paused)}
end
local start = now
for i = 1, n do
  local free = tonumber(redis.call('GET', KEYS[i]) or '0')
  if free > start then start = free end
end
if start - now > ahead then
  return {0, start - now - ahead, 0}
end
for i = 1, n do
  local free = start + tonumber(ARGV[i + 1])
  redis.call('SET', KEYS[i], string.format('%.0f', free), 'PX', math.floor((free - now) / 1000) + 1000)
end
return {1, start - now, 0}
"""

# KEYS: the pause key, the streak key. ARGV: µs the provider asked for (-1: none), the
# back-off's first step and its cap (µs), a random draw in [0, 1) for the jitter.
# Returns the pause's end (µs since the epoch, Redis's clock).
_THROTTLE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local paused = tonumber(redis.call('GET', KEYS[1]) or '0')
local asked = tonumber(ARGV[1])
local streak = tonumber(redis.call('GET', KEYS[2]) or '0')
-- Every lane in flight meets the same refusal: one step of the back-off per pause, not per lane.
if paused <= now then
  streak = redis.call('INCR', KEYS[2])
  redis.call('EXPIRE', KEYS[2], 3600)
end
local wait
if asked >= 0 then
  wait = asked
else
  wait = math.min(tonumber(ARGV[3]), tonumber(ARGV[2]) * 2 ^ (streak - 1))
  wait = wait * (0.5 + 0.5 * tonumber(ARGV[4]))
end
local ends = now + wait
if ends > paused then
  redis.call('SET', KEYS[1], string.format('%.0f', ends), 'PX', math.floor(wait / 1000) + 1000)
  return string.format('%.0f', ends)
end
return string.format('%.0f', paused)
"""


class Throttled(RetryLater):
    """The provider of ``channel`` paused sending until ``until`` (seconds since the epoch).

    A :class:`~flask_broadcasts.channels.base.RetryLater`: a caller of one batch that knows
    nothing of pacing still sees "try later"."""

    def __init__(self, channel: str, until: float) -> None:
        super().__init__(f"{channel} throttled until {until:.3f}", after=max(0.0, until - time.time()))
        self.channel = channel
        self.until = until


@dataclass(frozen=True)
class Limit:
    """One rate a hand-over must fit in: its Redis key and messages (segments) per second."""

    key: str
    per_second: float


def _prefix(state: BroadcastsState) -> str:
    return f"{state.settings.queue}:pace"


def limits_of(state: BroadcastsState, organization_id: str, channel: str, hook: float | None) -> list[Limit]:
    """The limits a hand-over of ``channel`` for ``organization_id`` waits for (none: unlimited)."""
    limits: list[Limit] = []
    configured = (state.settings.rate_limits or {}).get(channel)
    if configured:
        limits.append(Limit(f"{_prefix(state)}:{channel}", float(configured)))
    if hook:
        limits.append(Limit(f"{_prefix(state)}:{channel}:org:{organization_id}", float(hook)))
    return limits


def _pause_key(state: BroadcastsState, channel: str) -> str:
    return f"{_prefix(state)}:{channel}:paused"


def message_cost(channel: str, message: Any) -> int:
    """What one hand-over costs of its channel's rate: 1, or the SMS's segments (at least 1)."""
    if channel != "sms":
        return 1
    # Counted when the message was stored; a row without it (stored before) is counted now.
    segments = getattr(message, "sms_segments", None)
    if segments is None:
        segments = sms_info(message.body_short or "").segments
    return max(1, int(segments))


class Pacer:
    """One lane's gate in front of its hand-overs: a slot under every limit, no provider pause.

    ``keep_alive`` is called while the lane sleeps longer than a moment (it renews the claim).
    """

    def __init__(self, state: BroadcastsState, *, keep_alive: Callable[[], None] | None = None) -> None:
        self.state = state
        self.keep_alive = keep_alive
        self._hooks: dict[tuple[str, str], tuple[float, float | None]] = {}
        self._script: Any = None
        #: Per channel: its pause key, and that key's entry in :data:`_unpaused_until` (built
        #: once: a lane asks for them before every hand-over).
        self._pause_keys: dict[str, tuple[str, tuple[str, str]]] = {}

    def _hook(self, organization_id: str, channel: str) -> float | None:
        cached = self._hooks.get((organization_id, channel))
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        value = self.state.extension.rate_limit_of(organization_id, channel)
        self._hooks[(organization_id, channel)] = (time.monotonic() + HOOK_TTL, value)
        return value

    def wait(self, channel: str, organization_id: str, cost: int) -> None:
        """Return when the message may be handed over (its slot reserved).

        :raises Throttled: the channel's provider paused sending for longer than :data:`MAX_AHEAD`.
        """
        if not self.state.settings.redis_url:  # no Redis (a test app): nothing shared to wait for
            return
        limits = limits_of(self.state, organization_id, channel, self._hook(organization_id, channel))
        keys_of_channel = self._pause_keys.get(channel)
        if keys_of_channel is None:
            pause_key = _pause_key(self.state, channel)
            keys_of_channel = self._pause_keys[channel] = (pause_key, (str(self.state.settings.redis_url), pause_key))
        pause_key, asked = keys_of_channel
        if not limits:
            if time.monotonic() < _unpaused_until.get(asked, 0.0):
                return
            # Set before asking: the other lanes, finding the last answer old at the same
            # moment, would each ask too.
            _unpaused_until[asked] = time.monotonic() + PAUSE_RECHECK
        redis: Redis = self.state.redis
        if self._script is None:
            self._script = redis.register_script(_RESERVE)
        keys = [limit.key for limit in limits] + [pause_key]
        intervals = [round(cost * 1_000_000 / limit.per_second) for limit in limits]
        args = [len(limits), *intervals, round(MAX_AHEAD * 1_000_000)]
        while True:
            reserved, micros, paused = self._script(keys=keys, args=args)
            seconds, ends = int(micros) / 1_000_000, int(paused) / 1_000_000
            if reserved:
                if seconds > 0:
                    time.sleep(seconds)
                return
            _unpaused_until.pop(asked, None)  # paused: every lane asks again
            if ends and seconds > MAX_AHEAD:
                raise Throttled(channel, ends)
            # A short pause, or slots taken this far ahead (a low rate, many lanes): wait and ask again.
            time.sleep(min(seconds, MAX_AHEAD))
            if self.keep_alive is not None:
                self.keep_alive()


def throttle(state: BroadcastsState, channel: str, after: float | None) -> float:
    """Pause ``channel`` for every worker; return when the pause ends (seconds since the epoch).

    ``after``: the seconds the provider asked for; ``None``: the next step of the back-off.
    A pause already longer is kept.
    """
    base, cap = (float(s) for s in state.settings.throttle_backoff)
    if not state.settings.redis_url:  # no Redis (a test app): this process's own view only
        return time.time() + (base if after is None else after)
    redis: Redis = state.redis
    ends = redis.eval(
        _THROTTLE,
        2,
        _pause_key(state, channel),
        f"{_pause_key(state, channel)}:streak",
        -1 if after is None else round(max(0.0, after) * 1_000_000),
        round(base * 1_000_000),
        round(cap * 1_000_000),
        random.random(),  # noqa: S311 - jitter, not a secret
    )
    _unpaused_until.pop((str(state.settings.redis_url), _pause_key(state, channel)), None)  # seen at once here
    return int(ends) / 1_000_000


def throttled_until(state: BroadcastsState, channel: str) -> float | None:
    """When the pause of ``channel`` ends (seconds since the epoch), or ``None``."""
    value = state.redis.get(_pause_key(state, channel))
    return int(value) / 1_000_000 if value else None


def clear_backoff(state: BroadcastsState, channel: str) -> None:
    """The provider took a message again: its next refusal starts the back-off from its first step."""
    if state.settings.redis_url:
        state.redis.delete(f"{_pause_key(state, channel)}:streak")
