"""flask_broadcasts.events: the ``broadcast-campaigns.updated`` progress events.

A host relies on: an event each time ``sent + failed`` crosses a multiple of
``BROADCASTS_EVENT_EVERY`` (once for several multiples, never for ``0``), the event on its
organization's channel (``<prefix><organization id>``), and a Redis outage
never failing a send (the event is logged and dropped). The outage is a real client on a
port nothing listens on.
"""

from __future__ import annotations

import logging
from types import SimpleNamespace

import pytest
from redis import Redis

from flask_broadcasts.events import (
    EVENT_UPDATED,
    RecordingPublisher,
    RedisProgressPublisher,
    crossed,
    publish_campaign,
)
from flask_broadcasts.resources import CAMPAIGN_ATTRIBUTES


def test_an_event_is_due_when_a_multiple_is_crossed():
    assert crossed(4, 5, 5) and crossed(4, 12, 5)
    assert not crossed(5, 9, 5) and not crossed(0, 4, 5)
    assert not crossed(0, 100, 0)  # BROADCASTS_EVENT_EVERY = 0: no progress events


def test_a_campaigns_event_goes_to_its_organization_as_its_resource():
    row = SimpleNamespace(id=3, organization_id=42, template_id=1, audience_id=2, **dict.fromkeys(CAMPAIGN_ATTRIBUTES))
    publisher = RecordingPublisher()
    publish_campaign(publisher, row)
    [(organization, event)] = publisher.events
    assert organization == "42"
    assert event["event"] == EVENT_UPDATED == "broadcast-campaigns.updated"
    assert (event["data"]["type"], event["data"]["id"]) == ("broadcast-campaigns", "3")
    assert RedisProgressPublisher(lambda: None, "broadcasts:org:").channel("42") == "broadcasts:org:42"


def test_a_redis_outage_is_logged_and_never_raised(caplog: pytest.LogCaptureFixture):
    down = Redis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=0.5)
    publisher = RedisProgressPublisher(lambda: down, "broadcasts:org:")
    with caplog.at_level(logging.WARNING, logger="flask_broadcasts.events"):
        publisher.publish("42", {"event": EVENT_UPDATED, "data": {}})
    assert "could not publish broadcast-campaigns.updated for organization 42" in caplog.text
