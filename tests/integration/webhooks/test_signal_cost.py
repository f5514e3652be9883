"""With no receiver connected and no webhook wanting message events, what the recorder does
per message for the signals costs well under a microsecond (measured here, best of five)."""

from __future__ import annotations

import timeit

from flask_broadcasts import signals
from flask_broadcasts.statuses import MessageStatus
from flask_broadcasts.webhooks.messages import MessageEvents
from tests.support.fixtures import make_campaign

CALLS = 100_000


def test_a_message_event_costs_under_a_microsecond_when_nobody_listens(app):
    from tests.support.hostapp import db

    assert not signals.message_sent.receivers and not signals.message_failed.receivers
    events = MessageEvents(db.session, make_campaign(), "once")
    assert not events.batching
    sent, failed = MessageStatus.COMPLETED, MessageStatus.FAILED

    def one_batch() -> None:
        for i in range(CALLS // 2):
            events.message(i, sent, None)
            events.message(i, failed, "refused")

    per_message = min(timeit.repeat(one_batch, number=1, repeat=5)) / CALLS
    print(f"{per_message * 1e9:.0f} ns per message")
    assert per_message < 1e-6
    assert events.noted == []
