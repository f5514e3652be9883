"""The per-socket queue: bounded, coalescing, never blocking the producer."""

from __future__ import annotations

import threading
import time

from flask_broadcasts.realtime.mailbox import OVERFLOW, Closed, Mailbox


def key(campaign: str) -> tuple[str, str, str]:
    return ("broadcast-campaigns.updated", "broadcast-campaigns", campaign)


def test_fifo_and_newest_update_replaces_a_queued_one_in_place() -> None:
    mailbox = Mailbox(10)
    mailbox.offer("a1", key("a"))
    mailbox.offer("b1", key("b"))
    mailbox.offer("a2", key("a"))
    mailbox.offer("x")  # no key: never coalesced
    mailbox.offer("x")
    assert [mailbox.take(0) for _ in range(4)] == ["a2", "b1", "x", "x"]
    assert mailbox.take(0) is None
    assert mailbox.coalesced == 1


def test_slow_consumer_gets_the_latest_state_of_each_campaign_and_never_blocks_the_producer() -> None:
    mailbox = Mailbox(3)
    started = time.monotonic()
    for sent in range(0, 1001, 5):  # a worker publishing 200 updates for 2 campaigns
        assert mailbox.offer(f"a{sent}", key("a"))
        assert mailbox.offer(f"b{sent}", key("b"))
    assert time.monotonic() - started < 1.0
    assert len(mailbox) == 2
    assert [mailbox.take(0), mailbox.take(0)] == ["a1000", "b1000"]


def test_overflow_closes_with_1013_instead_of_dropping_silently() -> None:
    mailbox = Mailbox(2)
    assert mailbox.offer("1", key("1")) and mailbox.offer("2", key("2"))
    assert mailbox.offer("3", key("3")) is False
    assert mailbox.take(0) == Closed(*OVERFLOW)
    assert mailbox.offer("4", key("4")) is False


def test_close_wakes_a_waiting_consumer_and_first_close_wins() -> None:
    mailbox = Mailbox(2)
    result: list[object] = []
    consumer = threading.Thread(target=lambda: result.append(mailbox.take(5)))
    consumer.start()
    mailbox.close(1008, "bad frame")
    mailbox.close(1000, "")
    consumer.join(5)
    assert result == [Closed(1008, "bad frame")]
