"""``flask_broadcasts.realtime.hub``: one Redis subscription per web process, fanned out to its sockets.

What a deployment relies on: once a socket is registered, every event published for its
organization reaches it (only its campaign's, if it asked for one), and none of another
organization's; when the subscription is lost the sockets are told to reconnect and
re-read (1013), since pub/sub kept nothing meanwhile, and the hub subscribes again by itself.
"""

from __future__ import annotations

import json

import pytest
import redis

from flask_broadcasts.realtime.hub import STREAM_LOST, Hub, Subscriber, get_hub
from flask_broadcasts.realtime.mailbox import Closed, Mailbox
from flask_broadcasts.state import get_state
from tests.support.realtime import campaign_event, wait_for


@pytest.fixture
def hub_name(channel_prefix) -> str:
    """The hub's Redis client name, its test's own: only that connection is ever killed (the Redis may be shared)."""
    return "hub-" + channel_prefix.rstrip(":").replace(":", "-")


@pytest.fixture
def hub(redis_url, channel_prefix, hub_name):
    def connect() -> redis.Redis:
        return redis.Redis.from_url(redis_url, client_name=hub_name)

    hub = Hub(connect, channel_prefix, backoff=(0.05, 0.1), poll_interval=0.05)
    yield hub
    hub.stop(timeout=2)


def _subscriber(organization: str, campaign: str | None = None) -> Subscriber:
    return Subscriber(organization, campaign, Mailbox(10))


def _frames(subscriber: Subscriber, count: int) -> list[str]:
    """The next ``count`` frames, and nothing else already there."""
    frames = [subscriber.mailbox.take(5) for _ in range(count)]
    assert all(isinstance(frame, str) for frame in frames), frames
    assert subscriber.mailbox.take(0) is None
    return frames  # type: ignore[return-value]


def test_published_events_reach_the_organizations_sockets_text_for_text(hub, publish):
    everything, campaign_12, other_org = _subscriber("1"), _subscriber("1", "12"), _subscriber("2")
    for subscriber in (everything, campaign_12, other_org):
        assert hub.register(subscriber, wait=5)
    assert hub.subscriber_count() == 3
    first = publish("1", campaign_event(12, 1))
    second = publish("1", campaign_event(13, 1))
    # Published last, on one connection: delivered after the others, so nothing else came before.
    marker = publish("2", campaign_event(99, 1))
    assert _frames(other_org, 1) == [marker]
    assert _frames(everything, 2) == [first, second]
    assert _frames(campaign_12, 1) == [first]
    hub.unregister(campaign_12)
    publish("1", campaign_event(12, 2))
    assert [json.loads(f)["data"]["attributes"]["sent_count"] for f in _frames(everything, 1)] == [2]
    assert campaign_12.mailbox.take(0) is None


def test_a_lost_subscription_closes_every_socket_with_1013_and_the_hub_subscribes_again(
    hub, hub_name, publish, redis_client
):
    lost = _subscriber("1")
    assert hub.register(lost, wait=5)
    [connection] = [c for c in redis_client.client_list() if c["name"] == hub_name]
    redis_client.client_kill_filter(_id=connection["id"])  # what a Redis restart does to the connection
    assert wait_for(lambda: lost.mailbox.closed) == Closed(*STREAM_LOST)
    assert hub.subscriber_count() == 0

    again = _subscriber("1")
    assert hub.register(again, wait=5)  # the hub reconnected by itself
    text = publish("1", campaign_event(12, 3))
    assert _frames(again, 1) == [text]


def test_a_hub_whose_redis_does_not_answer_registers_nobody(channel_prefix):
    hub = Hub(lambda: redis.Redis.from_url("redis://127.0.0.1:1/0"), channel_prefix, backoff=(0.05, 0.1))
    try:
        assert hub.register(_subscriber("1"), wait=0.3) is False
        assert not hub.ready
        assert hub.subscriber_count() == 0
    finally:
        hub.stop(timeout=1)


def test_an_app_has_one_hub_per_process_and_needs_redis(app):
    with app.app_context():
        assert get_hub() is get_hub(app)
        get_state(app).settings.redis_url = None
        get_state(app).hub = None
        with pytest.raises(RuntimeError, match="REDIS_URL"):
            get_hub(app)


def test_stopping_tells_the_sockets_the_server_goes_away(hub):
    subscriber = _subscriber("1")
    assert hub.register(subscriber, wait=5)
    hub.stop(timeout=2)
    assert subscriber.mailbox.closed == Closed(1001, "Server going away.")
