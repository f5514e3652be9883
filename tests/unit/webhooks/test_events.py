"""Which campaign status changes are events (one vocabulary with the signals)."""

from __future__ import annotations

import logging

import pytest

from flask_broadcasts import signals
from flask_broadcasts.statuses import CampaignStatus as C
from flask_broadcasts.statuses import EventType, campaign_statuses_from
from flask_broadcasts.webhooks.events import campaign_event


@pytest.mark.parametrize(
    ("target", "sources", "values", "event"),
    [
        (C.PENDING, (C.DRAFT,), {}, EventType.CAMPAIGN_STARTED),  # start
        (C.PENDING, (C.SCHEDULED,), {}, EventType.CAMPAIGN_STARTED),  # a fire time
        (C.PAUSED, campaign_statuses_from(C.PAUSED), {}, EventType.CAMPAIGN_PAUSED),
        (C.IN_PROGRESS, (C.PAUSED,), {}, EventType.CAMPAIGN_RESUMED),
        (C.PENDING, (C.PAUSED,), {}, EventType.CAMPAIGN_RESUMED),
        (C.DRAFT, campaign_statuses_from(C.DRAFT), {"status_reason": "stopped"}, EventType.CAMPAIGN_STOPPED),
        (C.COMPLETED, (C.PENDING, C.IN_PROGRESS), {"completed_at": 1}, EventType.CAMPAIGN_COMPLETED),
        (C.SCHEDULED, (C.PENDING, C.IN_PROGRESS), {"completed_at": 1}, EventType.CAMPAIGN_COMPLETED),  # recurring
        (C.FAILED, (C.PENDING, C.IN_PROGRESS), {}, EventType.CAMPAIGN_FAILED),
        (C.IN_PROGRESS, (C.PENDING,), {}, None),  # materialization under way
        (C.SCHEDULED, (C.DRAFT,), {}, None),  # waiting for a fire time
    ],
)
def test_campaign_moves_and_their_events(target, sources, values, event):
    assert campaign_event(target, sources, values) is event


def test_every_event_type_has_its_signal():
    assert {signals.signal_for(event).name for event in EventType} == {event.value for event in EventType}
    assert signals.campaign_started is signals.signal_for(EventType.CAMPAIGN_STARTED)


def test_a_raising_receiver_is_logged_and_the_others_run(caplog, monkeypatch):
    # Another suite's logging configuration may have disabled the package's loggers.
    logger = logging.getLogger("flask_broadcasts.signals")
    monkeypatch.setattr(logger, "disabled", False)
    monkeypatch.setattr(logger, "propagate", True)
    heard = []

    def broken(sender, **data):
        raise RuntimeError("bug")

    def working(sender, **data):
        heard.append(data)

    signals.campaign_paused.connect(broken)
    signals.campaign_paused.connect(working)
    try:
        with caplog.at_level(logging.ERROR, logger="flask_broadcasts.signals"):
            signals.send(signals.campaign_paused, object(), campaign_id=1)
    finally:
        signals.campaign_paused.disconnect(broken)
        signals.campaign_paused.disconnect(working)
    assert heard == [{"campaign_id": 1}]
    assert "a receiver of the campaign.paused signal raised" in caplog.text
