"""``flask_broadcasts.webhooks.after_commit``: callbacks that run once the transaction is committed.

What a host relies on (the signals and the webhook jobs go through it): nothing is told
of a change before it is committed, nothing at all of a change rolled back, a callback can
use the session again, and one receiver raising does not silence the others.
"""

from __future__ import annotations

import logging

import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastSuppression
from flask_broadcasts.webhooks.after_commit import after_commit
from tests.support.fixtures import ORG


@pytest.fixture
def session(app):
    from tests.support.hostapp import db

    return db.session


def _suppression(address: str) -> BroadcastSuppression:
    return BroadcastSuppression(
        organization_id=ORG, channel="mail", address=address, reason="manual", source_kind="user"
    )


def test_a_callback_runs_after_the_commit_and_may_use_the_session(session):
    seen: list[list[str]] = []
    session.add(_suppression("a@example.com"))
    after_commit(session, lambda: seen.append(list(session.scalars(sa.select(BroadcastSuppression.address)))))
    session.flush()
    assert seen == []  # flushed is not committed
    session.commit()
    assert seen == [["a@example.com"]]  # the committed row, read in the callback
    session.commit()
    assert len(seen) == 1  # once


def test_a_rolled_back_transaction_tells_nothing_even_after_a_later_commit(session):
    seen: list[str] = []
    session.add(_suppression("a@example.com"))
    after_commit(session, lambda: seen.append("rolled back"))
    session.rollback()
    session.add(_suppression("b@example.com"))
    after_commit(session, lambda: seen.append("committed"))
    session.commit()
    assert seen == ["committed"]


def test_a_savepoint_neither_runs_nor_drops_the_outer_transactions_callbacks(session):
    seen: list[str] = []
    after_commit(session, lambda: seen.append("outer"))
    savepoint = session.begin_nested()
    session.add(_suppression("a@example.com"))
    savepoint.rollback()  # a savepoint's end is not the transaction's
    assert seen == []
    session.commit()
    assert seen == ["outer"]


def test_a_raising_callback_is_logged_and_the_others_still_run(session, caplog, monkeypatch):
    # Another suite's logging configuration may have disabled the package's loggers.
    logger = logging.getLogger("flask_broadcasts.webhooks.after_commit")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "propagate", True)
    seen: list[str] = []

    def broken() -> None:
        raise RuntimeError("bug in a receiver")

    after_commit(session, lambda: seen.append("first"))
    after_commit(session, broken)
    after_commit(session, lambda: seen.append("third"))
    with caplog.at_level(logging.ERROR, logger="flask_broadcasts.webhooks.after_commit"):
        session.commit()
    assert seen == ["first", "third"]
    assert "an after-commit callback raised" in caplog.text
