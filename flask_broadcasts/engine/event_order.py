"""Progress events leave a worker process in the order their rows were committed.

A send job's lanes (:mod:`.lanes`) are threads of one process. Each commits counter updates
or a status change and then publishes the row the database answered. Unordered, lane A can
commit "237 sent", lane B commit the run's completion and publish it, and A's older
"in-progress, 237" arrive last: a dashboard then shows a finished campaign as in progress
for good (a client only refuses to go backwards *within* one status). Holding one lock from
the statement that returns the row to its publish keeps commits and events in one order.

The lock is per process: workers on several machines were never ordered with each other,
and their last events race only as they always did (a client re-reads on reconnect).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.orm import Session

#: Held from the UPDATE … RETURNING whose row is published to the publish (re-entrant:
#: a counter flush may complete the run inside it). Taken through :func:`in_commit_order`.
commit_then_publish = threading.RLock()


@contextmanager
def in_commit_order(session: Session | None) -> Iterator[None]:
    """Hold :data:`commit_then_publish`, with ``session``'s pooled connection taken *first*.

    A lane waiting for the lock may hold a connection of the pool (its session in a
    transaction, its recording connection); the holder of the lock must never be the one
    waiting for the pool, or with every connection held by lanes waiting for the lock the
    process stalls until the pool's timeout (seen: 8 lanes, a pool of 15, 30 s, then a failed
    send job). ``None``: the caller writes on a connection it already holds.
    """
    if session is not None:
        session.connection()
    with commit_then_publish:
        yield
