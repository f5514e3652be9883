"""One Redis subscription per web process, fanned out to that process's sockets.

A :class:`Hub` runs a daemon thread that pattern-subscribes to every organization's
channel (``broadcasts:org:*``) and hands each event to the mailboxes of the sockets
registered for that organization (and campaign). Handing over never blocks, so a slow
socket cannot hold up the others, the publishing worker or Redis.

If the subscription is lost, events published meanwhile are gone for good (Redis pub/sub
keeps nothing), so every registered socket is closed with 1013 and told to reconnect and
re-read; the thread reconnects with exponential backoff and jitter.
"""

from __future__ import annotations

import logging
import os
import random
import re
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from flask import Flask

from ..state import get_state
from .events import Event, parse_event
from .mailbox import Mailbox

if TYPE_CHECKING:
    from redis import Redis

    from ..config import Settings

log = logging.getLogger(__name__)

#: Close code and reason sent to every socket when the Redis subscription is lost.
STREAM_LOST = (1013, "Event stream interrupted; reconnect and re-read the list.")


@dataclass(eq=False)
class Subscriber:
    """A socket's interest: one organization, optionally one campaign, and its mailbox."""

    organization_id: str
    campaign_id: str | None
    mailbox: Mailbox
    principal_id: str | None = field(default=None)

    def wants(self, event: Event) -> bool:
        """Whether ``event`` is for this subscriber (any campaign, or its one campaign)."""
        return self.campaign_id is None or event.concerns_campaign(self.campaign_id)


class Hub:
    """The fan-out of one process.

    :param redis_factory: makes a fresh Redis client (called again after each loss).
    :param channel_prefix: ``BROADCASTS_EVENT_CHANNEL_PREFIX``.
    """

    def __init__(
        self,
        redis_factory: Callable[[], Redis],
        channel_prefix: str,
        *,
        backoff: tuple[float, float] = (0.2, 10.0),
        poll_interval: float = 1.0,
    ) -> None:
        self.redis_factory = redis_factory
        self.channel_prefix = channel_prefix
        self.pattern = re.sub(r"([\\*?\[\]])", r"\\\1", channel_prefix) + "*"
        self.backoff = backoff
        self.poll_interval = poll_interval
        self.pid = os.getpid()
        self._lock = threading.Lock()
        self._by_organization: dict[str, set[Subscriber]] = {}
        self._ready = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def ready(self) -> bool:
        """Whether the subscription is live (events published now will be delivered)."""
        return self._ready.is_set()

    def register(self, subscriber: Subscriber, *, wait: float) -> bool:
        """Start delivering to ``subscriber``; ``False`` (and not registered) when the
        subscription is not live within ``wait`` seconds.

        Once this returns ``True``, every event published afterwards reaches the mailbox.
        """
        self.start()
        with self._lock:
            self._by_organization.setdefault(subscriber.organization_id, set()).add(subscriber)
        if self._ready.wait(wait) and subscriber.mailbox.closed is None:
            return True
        self.unregister(subscriber)
        return False

    def unregister(self, subscriber: Subscriber) -> None:
        """Stop delivering to ``subscriber`` (idempotent)."""
        with self._lock:
            subscribers = self._by_organization.get(subscriber.organization_id)
            if subscribers is not None:
                subscribers.discard(subscriber)
                if not subscribers:
                    del self._by_organization[subscriber.organization_id]

    def subscriber_count(self) -> int:
        """How many subscribers this process has, over all organizations."""
        with self._lock:
            return sum(len(s) for s in self._by_organization.values())

    def dispatch(self, event: Event) -> int:
        """Offer ``event`` to the interested mailboxes; how many took it."""
        with self._lock:
            subscribers = tuple(self._by_organization.get(event.organization_id, ()))
        key = event.coalesce_key
        return sum(s.mailbox.offer(event.text, key) for s in subscribers if s.wants(event))

    # -- the subscription thread ---------------------------------------------------------

    def start(self) -> None:
        """Start the subscription thread (once)."""
        with self._lock:
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="broadcasts-hub", daemon=True)
                self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        """Stop the thread and close every socket (tests and orderly shutdown)."""
        self._stopping.set()
        if self._thread is not None:
            self._thread.join(timeout)
        self._lost(reason=(1001, "Server going away."))

    def _run(self) -> None:
        from redis.exceptions import RedisError

        delay = self.backoff[0]
        while not self._stopping.is_set():
            pubsub = None
            try:
                pubsub = self.redis_factory().pubsub()
                pubsub.psubscribe(self.pattern)
                while not self._stopping.is_set():
                    message = pubsub.get_message(timeout=self.poll_interval)
                    if message is None:
                        continue
                    if message["type"] == "psubscribe":
                        log.info("broadcasts hub subscribed to %s", self.pattern)
                        self._ready.set()
                        delay = self.backoff[0]
                    elif message["type"] == "pmessage":
                        self._receive(message["channel"], message["data"])
            except (RedisError, OSError) as error:
                log.warning("broadcasts hub lost Redis (%s); retrying in %.1fs", error, delay)
            except Exception:  # a bug must not silently end live updates for the whole process
                log.exception("broadcasts hub failed; retrying in %.1fs", delay)
            finally:
                # Stopping: stop() closes the sockets itself with "going away" (1001), not
                # "reconnect" (1013); the first close is the one a socket gets.
                if not self._stopping.is_set():
                    self._lost()
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except Exception:  # noqa: BLE001 - the connection is already broken
                        pass
            self._stopping.wait(delay * random.uniform(0.5, 1.0))
            delay = min(delay * 2, self.backoff[1])

    def _receive(self, channel: bytes | str, data: bytes | str) -> None:
        channel = channel.decode("utf-8", "replace") if isinstance(channel, bytes) else channel
        event = parse_event(channel, data, self.channel_prefix)
        if event is None:
            log.warning("broadcasts hub ignored a malformed event on %s", channel)
            return
        self.dispatch(event)

    def _lost(self, reason: tuple[int, str] = STREAM_LOST) -> None:
        with self._lock:
            self._ready.clear()
            subscribers = [s for group in self._by_organization.values() for s in group]
            self._by_organization.clear()
        for subscriber in subscribers:
            subscriber.mailbox.close(*reason)


def get_hub(app: Flask | None = None) -> Hub:
    """The hub of ``app`` in this process (made on first use, and again after a fork).

    Kept on the app's state (:attr:`~flask_broadcasts.state.BroadcastsState.hub`).
    """
    state = get_state(app)
    hub = state.hub
    if hub is None or hub.pid != os.getpid():
        with _create_lock:
            hub = state.hub
            if hub is None or hub.pid != os.getpid():
                hub = state.hub = _make_hub(state.settings)
    return hub


_create_lock = threading.Lock()


def _make_hub(settings: Settings) -> Hub:
    url = settings.redis_url
    if not url:
        raise RuntimeError("Set REDIS_URL or BROADCASTS_REDIS_URL: live progress needs Redis pub/sub.")
    client_name = f"broadcasts-hub:{socket.gethostname()}:{os.getpid()}"

    def redis_factory() -> Redis:
        from redis import Redis

        return Redis.from_url(url, **subscription_options(url, client_name))

    return Hub(redis_factory, settings.event_channel_prefix)


def subscription_options(url: str, client_name: str) -> dict[str, object]:
    """``Redis.from_url`` options of the hub's connection.

    Health checks notice a silently dead connection, so we resubscribe; over TCP,
    keepalive helps too. A ``unix://`` connection (the embedded Redis) has no
    ``socket_keepalive`` option: redis-py refuses it there.
    """
    options: dict[str, object] = {"client_name": client_name, "health_check_interval": 15}
    if not url.startswith("unix:"):
        options["socket_keepalive"] = True
    return options
