"""Run callbacks once the session's transaction is committed (and never when it rolls back).

What happens inside a transaction (a campaign's status change, the delivery rows of its
webhooks) must be told only once it is true: the signal and the delivery jobs wait for
the commit. They run when the committed transaction has ended, where a callback may use
the session again (in SQLAlchemy's ``after_commit`` hook it could not emit SQL). A callback
that raises is logged; the others still run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

__all__ = ["after_commit"]

log = logging.getLogger(__name__)

_PENDING = "flask_broadcasts.after_commit.pending"
_COMMITTED = "flask_broadcasts.after_commit.committed"


def after_commit(session: Session, callback: Callable[[], Any]) -> None:
    """Call ``callback`` after the session's current transaction commits (dropped on rollback)."""
    session.info.setdefault(_PENDING, []).append(callback)


@event.listens_for(Session, "after_commit")
def _committed(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if pending:
        session.info.setdefault(_COMMITTED, []).extend(pending)


@event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.parent is None:
        session.info.pop(_PENDING, None)


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is not None:
        return
    callbacks = session.info.pop(_COMMITTED, None)
    for callback in callbacks or ():
        try:
            callback()
        except Exception:
            log.exception("an after-commit callback raised; ignored")
