"""flask_broadcasts.engine.bounces: each e-mail's VERP envelope sender.

What a user relies on: with ``BROADCASTS_BOUNCE_ADDRESS`` every message goes out from an
envelope sender of its own that names it (so a bounce, whatever it looks like, is traced back
to its message); without it, no VERP at all (the channel's usual sender).
"""

from __future__ import annotations

import pytest
from flask import Flask

from flask_broadcasts.config import Settings, apply_defaults
from flask_broadcasts.engine.bounces import verp_senders
from flask_broadcasts.signing import verp_message_id

BOUNCES = "bounces@example.com"


class Message:
    def __init__(self, id: int) -> None:
        self.id = id


def _settings(**config) -> Settings:
    values: dict = {}
    apply_defaults(values)
    values.update(config)
    return Settings.from_config(values)


@pytest.fixture(autouse=True)
def _app_context():
    # The VERP MAC is keyed with SECRET_KEY.
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "test-key"
    with app.app_context():
        yield


def test_without_a_bounce_address_there_is_no_verp_sender():
    assert verp_senders(_settings()) is None


def test_each_message_gets_a_sender_of_its_own_that_names_it():
    sender = verp_senders(_settings(BROADCASTS_BOUNCE_ADDRESS=BOUNCES))
    assert sender is not None

    first, second = sender(Message(41)), sender(Message(42))

    assert first != second
    assert first.startswith("bounces+41-") and first.endswith("@example.com")
    assert verp_message_id(first, BOUNCES) == 41
    assert verp_message_id(second, BOUNCES) == 42


def test_asking_again_for_the_same_message_answers_the_same_sender_and_never_a_stale_one():
    # Pipelining asks twice per message: as the next envelope, then to send it.
    sender = verp_senders(_settings(BROADCASTS_BOUNCE_ADDRESS=BOUNCES))
    assert sender is not None

    addresses = [sender(Message(message_id)) for message_id in (7, 7, 8, 7)]

    assert [verp_message_id(address, BOUNCES) for address in addresses] == [7, 7, 8, 7]
    assert addresses[0] == addresses[1] == addresses[3]
