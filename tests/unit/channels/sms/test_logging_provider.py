"""flask_broadcasts.channels.sms.logging_provider: the default provider, which sends nothing.

What a user relies on (the example app, a development setup): each SMS is logged on
``flask_broadcasts.sms`` with its number and text, answered with a ``dev-`` id of its own
(status callbacks never come: it has no callback endpoint), and given to the ``sent`` list when
there is one."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest

from flask_broadcasts.channels.sms.logging_provider import LoggingSmsProvider


class _Keep(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    # Our own handler: other tests' logging configuration may stop propagation to caplog.
    logger, keep = logging.getLogger("flask_broadcasts.sms"), _Keep()
    saved = (logger.level, logger.disabled)
    logger.addHandler(keep)
    logger.setLevel(logging.INFO)
    logger.disabled = False
    try:
        yield keep.lines
    finally:
        logger.removeHandler(keep)
        logger.level, logger.disabled = saved


def test_each_sms_is_logged_with_its_own_dev_id(log_lines: list[str]) -> None:
    provider = LoggingSmsProvider()
    first = provider.send("+33612345678", "Your code is 1234", status_callback="https://app.example/cb")
    second = provider.send("+33612345678", "Your code is 1234")
    assert first.provider_message_id.startswith("dev-") and second.provider_message_id.startswith("dev-")
    assert first.provider_message_id != second.provider_message_id  # ids of two SMS never collide
    assert (first.status, first.raw) == ("logged", {"to": "+33612345678", "body": "Your code is 1234"})
    assert log_lines == [
        f"SMS (not sent, logging provider) {first.provider_message_id} to +33612345678: Your code is 1234",
        f"SMS (not sent, logging provider) {second.provider_message_id} to +33612345678: Your code is 1234",
    ]


def test_the_sent_list_gets_every_sms_in_order() -> None:
    sent: list[tuple[str, str]] = []
    provider = LoggingSmsProvider(sent=sent)
    provider.send("+33612345678", "one")
    provider.send("+14155552671", "two")
    assert sent == [("+33612345678", "one"), ("+14155552671", "two")]
    LoggingSmsProvider().send("+33612345678", "three")  # without a list, nothing is kept
    assert len(sent) == 2


def test_no_gateway_will_call_back() -> None:
    provider = LoggingSmsProvider()
    assert (provider.name, provider.callback_endpoint) == ("logging", None)
