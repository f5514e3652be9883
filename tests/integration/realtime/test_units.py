"""Pure pieces: event parsing, the Origin rule, client frame validation, hub routing."""

from __future__ import annotations

import json

import pytest

from flask_broadcasts.realtime.events import parse_event
from flask_broadcasts.realtime.hub import Hub, Subscriber, subscription_options
from flask_broadcasts.realtime.mailbox import Mailbox
from flask_broadcasts.realtime.origins import origin_allowed
from flask_broadcasts.realtime.websocket import client_frame_problem
from tests.support.realtime import campaign_event

PREFIX = "broadcasts:org:"


def test_parse_event_routes_by_channel_and_keeps_the_text() -> None:
    text = json.dumps(campaign_event(12, 5))
    event = parse_event("broadcasts:org:7", text.encode(), PREFIX)
    assert event is not None
    assert (event.organization_id, event.resource_type, event.resource_id, event.text) == (
        "7",
        "broadcast-campaigns",
        "12",
        text,
    )
    assert event.coalesce_key == ("broadcast-campaigns.updated", "broadcast-campaigns", "12")


@pytest.mark.parametrize(
    ("channel", "payload"),
    [
        ("broadcasts:org:", b'{"event": "x"}'),
        ("other:7", b'{"event": "x"}'),
        ("broadcasts:org:7", b"not json"),
        ("broadcasts:org:7", b'["event"]'),
        ("broadcasts:org:7", b'{"data": {}}'),
        ("broadcasts:org:7", b"\xff"),
    ],
)
def test_parse_event_rejects_what_is_not_an_event(channel: str, payload: bytes) -> None:
    assert parse_event(channel, payload, PREFIX) is None


def test_hub_dispatch_isolates_organizations_and_narrows_to_a_campaign() -> None:
    hub = Hub(lambda: None, PREFIX)  # type: ignore[arg-type, return-value] # never started
    org_a, org_a_12, org_b = (Subscriber(o, c, Mailbox(5)) for o, c in (("1", None), ("1", "12"), ("2", None)))
    for subscriber in (org_a, org_a_12, org_b):
        hub._by_organization.setdefault(subscriber.organization_id, set()).add(subscriber)
    for organization, campaign in (("1", 12), ("1", 13), ("2", 12)):
        hub.dispatch(parse_event(PREFIX + organization, json.dumps(campaign_event(campaign)), PREFIX))  # type: ignore[arg-type]
    taken = {
        name: [json.loads(f)["data"]["id"] for f in iter(lambda s=s: s.mailbox.take(0), None)]
        for name, s in (("a", org_a), ("a12", org_a_12), ("b", org_b))
    }
    assert taken == {"a": ["12", "13"], "a12": ["12"], "b": ["12"]}


def test_hub_pattern_escapes_glob_characters() -> None:
    assert Hub(lambda: None, "app[1]*:org:").pattern == r"app\[1\]\*:org:*"  # type: ignore[arg-type, return-value]


@pytest.mark.parametrize(
    ("origin", "host", "allowed", "ok"),
    [
        (None, "api.example.com", (), True),  # not a browser
        ("https://api.example.com", "api.example.com", (), True),  # same origin, default port
        ("http://127.0.0.1:5000", "127.0.0.1:5000", (), True),
        ("HTTPS://API.example.com:443", "api.example.com", (), True),
        ("https://evil.example", "api.example.com", (), False),
        ("http://api.example.com:5001", "api.example.com:5000", (), False),
        ("null", "api.example.com", (), False),
        ("https://dash.example.com", "api.example.com", ("https://dash.example.com/",), True),
        ("http://dash.example.com", "api.example.com", ("https://dash.example.com",), False),
        ("https://b.example", "api.example.com", "https://a.example, https://b.example", True),
    ],
)
def test_origin_rule(origin: str | None, host: str, allowed: tuple[str, ...], ok: bool) -> None:
    assert origin_allowed(origin, host, allowed) is ok


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ('{"type": "ping"}', None),
        ('{"type": "hello", "x": 1}', None),
        ("ping", 1008),
        ("[]", 1008),
        ('{"type": 1}', 1008),
        (b"\x00", 1008),
        ('{"type": "ping", "pad": "' + "x" * 4096 + '"}', 1009),
    ],
)
def test_client_frames(frame: str | bytes, code: int | None) -> None:
    problem = client_frame_problem(frame)
    assert (problem[0] if problem else None) == code


@pytest.mark.parametrize("url", ["redis://127.0.0.1:6379/9", "unix:///tmp/embedded-redis.sock?db=1"])
def test_hub_connection_options_suit_tcp_and_unix_sockets(url: str) -> None:
    import redis

    # The embedded Redis is a unix socket, where redis-py refuses socket_keepalive.
    client = redis.Redis.from_url(url, **subscription_options(url, "broadcasts-hub:test"))
    connection = client.connection_pool.make_connection()
    assert connection.health_check_interval == 15
    client.close()
