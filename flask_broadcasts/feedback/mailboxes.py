"""Reading a bounce mailbox (mbox or Maildir) through :func:`~.bounce_mail.apply_bounce`.

What ``flask broadcasts bounces`` calls. The mailbox is only read: each message is
applied in its own transaction, and a bounce already applied is a duplicate, so reading
the same mailbox again (after a crash, or from cron before it is emptied) changes nothing.
"""

from __future__ import annotations

import mailbox
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from .bounce_mail import BounceResult, apply_bounce

__all__ = ["MailboxSummary", "read_mailbox"]


@dataclass
class MailboxSummary:
    """How many messages of a mailbox came to each :class:`~.bounce_mail.BounceResult`."""

    counts: Counter[BounceResult] = field(default_factory=Counter)

    @property
    def read(self) -> int:
        """Messages read."""
        return sum(self.counts.values())

    def __str__(self) -> str:
        parts = ", ".join(f"{self.counts[result]} {result.value.replace('_', ' ')}" for result in BounceResult)
        return f"{self.read} read: {parts}"


def read_mailbox(path: Path, *, maildir: bool) -> MailboxSummary:
    """Apply every message of the mbox file (or, ``maildir``, the Maildir) at ``path``.

    :raises FileNotFoundError: there is no such mailbox.
    """
    if not (path.is_dir() if maildir else path.is_file()):
        raise FileNotFoundError(f"no {'Maildir' if maildir else 'mbox'} at {path}")
    box: mailbox.Mailbox = (
        mailbox.Maildir(path, factory=None, create=False) if maildir else mailbox.mbox(path, create=False)
    )
    summary = MailboxSummary()
    try:
        for key in box.iterkeys():
            summary.counts[apply_bounce(box.get_bytes(key))] += 1
    finally:
        box.close()
    return summary
