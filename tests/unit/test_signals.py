"""flask_broadcasts.signals: the host's blinker signals, one per event type.

A host relies on: a signal named after its event type (``campaign.completed``), its
receivers called with the app as sender and keyword data, and a receiver that raises being
logged while the others still run (a host's bug never breaks sending).
"""

from __future__ import annotations

import logging

import pytest

from flask_broadcasts import signals
from flask_broadcasts.statuses import EventType


def test_each_event_type_has_its_signal_under_its_name():
    assert signals.signal_for(EventType.CAMPAIGN_COMPLETED) is signals.campaign_completed
    assert signals.campaign_completed.name == "campaign.completed"
    assert {signals.signal_for(event).name for event in EventType} == {event.value for event in EventType}


def test_a_receiver_that_raises_is_logged_and_the_others_still_run(caplog: pytest.LogCaptureFixture):
    got: list[tuple[object, dict]] = []

    def broken(sender, **data):
        raise ValueError("host bug")

    def billing(sender, **data):
        got.append((sender, data))

    signals.campaign_completed.connect(broken)
    signals.campaign_completed.connect(billing)
    try:
        with caplog.at_level(logging.ERROR, logger="flask_broadcasts.signals"):
            signals.send(signals.campaign_completed, "the-app", organization_id="1", campaign_id=7)
    finally:
        signals.campaign_completed.disconnect(broken)
        signals.campaign_completed.disconnect(billing)
    assert got == [("the-app", {"organization_id": "1", "campaign_id": 7})]
    assert "campaign.completed" in caplog.text and "host bug" in caplog.text


def test_a_receiver_connected_for_one_app_hears_only_that_apps_signals():
    heard: list[object] = []

    def receiver(sender, **data):
        heard.append(sender)

    signals.message_sent.connect(receiver, sender="app-a")
    try:
        signals.send(signals.message_sent, "app-b", message_id=1)
        signals.send(signals.message_sent, "app-a", message_id=2)
    finally:
        signals.message_sent.disconnect(receiver)
    assert heard == ["app-a"]
