"""A socket's bounded outbox that coalesces updates of the same campaign.

The hub thread :meth:`Mailbox.offer` s every event without ever blocking; the socket's
own thread :meth:`Mailbox.take` s them. A newer update of a campaign replaces a queued
older one in place (a progress bar only needs the newest counts), so a slow client
holds at most one pending update per campaign. If it still falls ``maxsize`` events
behind (events that cannot be coalesced, or that many campaigns at once), the mailbox
closes itself with :data:`OVERFLOW` instead of dropping an event silently: the client
reconnects and re-reads the list, which is always correct.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from dataclasses import dataclass
from itertools import count

#: Close code when a client fell too far behind: 1013 "Try Again Later".
OVERFLOW = (1013, "Too far behind; reconnect and re-read the list.")


@dataclass(frozen=True)
class Closed:
    """Why a mailbox was closed: the websocket close code and reason to send."""

    code: int
    reason: str


class Mailbox:
    """A bounded FIFO of text frames; entries with the same key are coalesced.

    :param maxsize: how many frames may wait before the mailbox overflows.
    """

    def __init__(self, maxsize: int) -> None:
        if maxsize < 1:
            raise ValueError("maxsize must be at least 1")
        self.maxsize = maxsize
        self._pending: OrderedDict[Hashable, str] = OrderedDict()
        self._unique = count()  # keys for frames that are never coalesced
        self._ready = threading.Condition(threading.Lock())
        self._closed: Closed | None = None
        self.coalesced = 0  # how many queued frames a newer one replaced

    def __len__(self) -> int:
        with self._ready:
            return len(self._pending)

    @property
    def closed(self) -> Closed | None:
        """Why the mailbox was closed, or ``None`` while it is open."""
        return self._closed

    def offer(self, frame: str, key: Hashable | None = None) -> bool:
        """Queue ``frame`` without blocking; ``False`` if the mailbox is (now) closed.

        With a ``key`` (``("broadcast-campaigns", "12")``) a queued frame with the same
        key is replaced and keeps its place in line.
        """
        with self._ready:
            if self._closed is not None:
                return False
            slot = ("unique", next(self._unique)) if key is None else ("key", key)
            if slot in self._pending:
                self._pending[slot] = frame
                self.coalesced += 1
                return True
            if len(self._pending) >= self.maxsize:
                self._close(Closed(*OVERFLOW))
                return False
            self._pending[slot] = frame
            self._ready.notify()
            return True

    def take(self, timeout: float | None = None) -> str | Closed | None:
        """The oldest frame; a :class:`Closed` once closed; ``None`` after ``timeout``.

        Frames queued before a close are dropped: the client reconnects anyway.
        """
        with self._ready:
            if not self._ready.wait_for(lambda: self._pending or self._closed is not None, timeout):
                return None
            if self._closed is not None:
                return self._closed
            return self._pending.popitem(last=False)[1]

    def close(self, code: int, reason: str) -> None:
        """Close with the websocket ``code`` (the first close wins); wakes :meth:`take`."""
        with self._ready:
            if self._closed is None:
                self._close(Closed(code, reason))

    def _close(self, closed: Closed) -> None:
        self._closed = closed
        self._pending.clear()
        self._ready.notify_all()
