"""``flask_broadcasts.realtime.events``: how the hub reads a published event.

A socket relies on it for three things: an event goes to the organization named by its
channel, a newer progress event of a campaign supersedes an older one (never one of another
campaign or kind), and the text it receives is exactly what the engine published.
"""

from __future__ import annotations

import json

from flask_broadcasts.realtime.events import parse_event

PREFIX = "acme:org:"


def _campaign(campaign_id: object, name: str = "broadcast-campaigns.updated") -> str:
    return json.dumps({"event": name, "data": {"type": "broadcast-campaigns", "id": campaign_id}})


def test_the_organization_is_the_channel_after_the_prefix_and_the_text_is_kept_byte_for_byte() -> None:
    text = '{"event": "broadcast-campaigns.updated",  "data": {"type": "broadcast-campaigns", "id": "4"}}'
    event = parse_event("acme:org:org-7", text.encode(), PREFIX)
    assert event is not None
    assert event.organization_id == "org-7"
    assert event.text == text  # not re-serialized: spacing and key order survive


def test_progress_of_one_campaign_coalesces_only_with_the_same_campaign_and_event() -> None:
    first = parse_event("acme:org:1", _campaign(12), PREFIX)
    later = parse_event("acme:org:1", _campaign("12"), PREFIX)  # an integer id and its text are one campaign
    other_campaign = parse_event("acme:org:1", _campaign(13), PREFIX)
    other_event = parse_event("acme:org:1", _campaign(12, "broadcast-campaigns.deleted"), PREFIX)
    assert first is not None and later is not None and other_campaign is not None and other_event is not None
    assert first.coalesce_key == later.coalesce_key
    assert first.coalesce_key != other_campaign.coalesce_key
    assert first.coalesce_key != other_event.coalesce_key
    assert first.concerns_campaign("12") and not first.concerns_campaign("13")


def test_an_event_without_a_resource_is_delivered_but_never_coalesced() -> None:
    event = parse_event("acme:org:1", json.dumps({"event": "hello"}), PREFIX)
    assert event is not None
    assert event.name == "hello"
    assert event.coalesce_key is None  # each one reaches the socket
    assert not event.concerns_campaign("1")


def test_what_is_not_an_event_of_this_prefix_is_none() -> None:
    assert parse_event("other:org:1", _campaign(1), PREFIX) is None  # another deployment's channel
    assert parse_event("acme:org:", _campaign(1), PREFIX) is None  # no organization
    assert parse_event("acme:org:1", b"\xff\xfe", PREFIX) is None
    assert parse_event("acme:org:1", '{"event": 3}', PREFIX) is None
