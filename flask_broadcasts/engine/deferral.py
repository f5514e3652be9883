"""Per-message temporary failures: the back-off of a deferred message, and when it gives up.

A temporary answer about one recipient (SMTP 4xx to RCPT or DATA: greylisting, a full
mailbox; :mod:`flask_broadcasts.channels.replies`) defers that message alone: it stays
``pending``, leaves its claim, and is not claimed again before ``retry_at`` — the
``BROADCASTS_RETRY_INTERVALS`` entry of its try (the last one repeating). The batch goes
on with the next message. After ``BROADCASTS_RETRY_MAX`` tries it ends ``failed`` with
``error_code`` ``temporary_failure`` and the server's words; the ``retry`` action
(:mod:`.retry`) can give it another round.

A temporary answer about the provider (down, ``421``, 4xx before the recipient) is
not a try: the batch is released and retried (:mod:`.sending`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import utcnow
from .tables import PENDING, messages, run_messages

__all__ = ["RetryPolicy", "next_deferred_at"]


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries a message gets and how long it waits between them."""

    #: Tries before a message deferred every time fails (``BROADCASTS_RETRY_MAX``, at least 1).
    max_tries: int
    #: Seconds before try 2, 3, ... (``BROADCASTS_RETRY_INTERVALS``; the last one repeats).
    intervals: Sequence[float]

    @classmethod
    def from_settings(cls, settings: Any) -> RetryPolicy:
        """The policy of the app's ``BROADCASTS_RETRY_MAX`` and ``BROADCASTS_RETRY_INTERVALS``."""
        return cls(max(1, int(settings.retry_max)), tuple(float(s) for s in settings.retry_intervals) or (0.0,))

    def backoff(self, tries: int) -> float:
        """Seconds to wait after the ``tries``-th try (1 for the first)."""
        return self.intervals[min(max(tries, 1), len(self.intervals)) - 1]

    def next_try_at(self, tries: int, now: datetime | None = None) -> datetime | None:
        """When a message deferred at its ``tries``-th try goes again; ``None``: it has no try left."""
        if tries >= self.max_tries:
            return None
        return (now or utcnow()) + timedelta(seconds=self.backoff(tries))


#: A send job for deferred messages runs at least this long after it is queued: the claim
#: compares ``retry_at`` with the database's clock, which on SQLite has whole seconds, so a
#: message due a moment ago may not be claimable yet (and the job would find nothing).
MIN_WAIT = timedelta(seconds=1)


def next_deferred_at(session: Session, campaign_id: int, run_key: str, now: datetime | None = None) -> datetime | None:
    """When a send job should look for the run's deferred messages again (``None``: none waits).

    The first ``retry_at`` of the run's unclaimed pending messages, and never sooner than
    :data:`MIN_WAIT` from now.
    """
    at = session.execute(
        select(func.min(messages.c.retry_at)).where(
            run_messages(campaign_id, run_key),
            messages.c.status == PENDING,
            messages.c.claimed_by.is_(None),
            messages.c.retry_at.is_not(None),
        )
    ).scalar()
    session.rollback()
    if at is None:
        return None
    if at.tzinfo is None:  # SQLite: min() may hand back a naive value
        at = at.replace(tzinfo=UTC)
    return max(at, (now or utcnow()) + MIN_WAIT)
