"""flask_broadcasts.channels.base: the outcome vocabulary of every channel, and ``Bounded``.

What a user relies on: ``BROADCASTS_SMS_CONCURRENCY`` holds, because a :class:`Bounded` channel's
hand-over waits for one of the slots it shares with the others, lets as many through at once as
there are slots, and gives its slot back even when the hand-over fails; and the raised outcomes
say what the engine does next (``RetryLater`` carries how long the provider asked to wait,
``OutcomeUnknown`` is never a ``RetryLater``, so it is never resent)."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from flask_broadcasts.channels.base import Bounded, ChannelError, OutcomeUnknown, RetryLater, Sent
from flask_broadcasts.channels.sms import LoggingSmsProvider, SmsChannel
from flask_broadcasts.errors import BroadcastsError


def _sms(number: int) -> SimpleNamespace:
    return SimpleNamespace(id=number, mobile=f"+3361234567{number}", body_short=f"Hi {number}")


def _bounded(slots: threading.BoundedSemaphore, sent: list[tuple[str, str]]) -> Bounded:
    return Bounded(SmsChannel(LoggingSmsProvider(sent=sent), status_callback=None), slots)


def _two_hand_overs_at_once(slot_count: int, *, wait: float) -> tuple[bool, list[object], list[tuple[str, str]]]:
    """Whether the second hand-over began within ``wait`` s while the first was still in its own; the outcomes."""
    slots, sent = threading.BoundedSemaphore(slot_count), []
    first_inside, release_first, second_inside = threading.Event(), threading.Event(), threading.Event()
    outcomes: list[object] = []

    def hold() -> None:  # the first hand-over stays inside until the test lets it go
        first_inside.set()
        assert release_first.wait(wait + 5)  # longer than the test waits: a late release cannot look like overlap

    first = threading.Thread(
        target=lambda: outcomes.append(_bounded(slots, sent).deliver(_sms(1), before_handover=hold, following=None))
    )
    second = threading.Thread(
        target=lambda: outcomes.append(
            _bounded(slots, sent).deliver(_sms(2), before_handover=second_inside.set, following=None)
        )
    )
    first.start()
    assert first_inside.wait(5)
    second.start()
    overlapped = second_inside.wait(wait)
    release_first.set()
    first.join(5)
    second.join(5)
    assert second_inside.is_set()  # it did go out in the end
    return overlapped, outcomes, sent


def test_with_one_slot_a_hand_over_waits_for_the_one_in_flight() -> None:
    overlapped, outcomes, sent = _two_hand_overs_at_once(1, wait=0.3)
    assert not overlapped
    assert sent == [("+33612345671", "Hi 1"), ("+33612345672", "Hi 2")]
    assert all(isinstance(o, Sent) and o.provider_message_id.startswith("dev-") for o in outcomes)


def test_with_two_slots_two_hand_overs_run_at_once() -> None:
    # A long wait, returned as soon as it overlaps: a loaded machine must not fail this one.
    overlapped, outcomes, sent = _two_hand_overs_at_once(2, wait=5)
    assert overlapped
    assert sorted(sent) == [("+33612345671", "Hi 1"), ("+33612345672", "Hi 2")]
    assert len(outcomes) == 2


def test_a_failed_hand_over_gives_its_slot_back() -> None:
    slots, sent = threading.BoundedSemaphore(1), []
    channel = _bounded(slots, sent)
    assert channel.name == "sms"  # a message's channels name it as they name the channel inside

    def fail() -> None:
        raise RuntimeError("the previous message could not be recorded")

    with pytest.raises(RuntimeError):
        channel.deliver(_sms(1), before_handover=fail, following=None)
    assert slots.acquire(blocking=False)  # else every later SMS of the worker would wait forever
    slots.release()
    assert isinstance(channel.deliver(_sms(2), before_handover=lambda: None, following=None), Sent)
    assert sent == [("+33612345672", "Hi 2")]


def test_what_a_channel_raises_says_what_happens_next() -> None:
    later = RetryLater("421 4.3.2 too busy", 421, after=30)
    assert (later.detail, later.code, later.after, str(later)) == ("421 4.3.2 too busy", 421, 30, "421 4.3.2 too busy")
    assert RetryLater("down").after is None  # the engine's own back-off then
    unknown = OutcomeUnknown("the answer was lost")
    assert isinstance(unknown, ChannelError) and isinstance(unknown, BroadcastsError)
    assert not isinstance(unknown, RetryLater)  # an engine catching RetryLater never resends it
