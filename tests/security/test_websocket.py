"""The websocket (``{prefix}/broadcast-events``): no token, a wrong organization, a bad
Origin, glob characters in ids, malformed, invalid-UTF-8 or oversized client frames → refused
or closed, and not one event delivered to a refused or closed socket, nor across tenants."""

from __future__ import annotations

import time
from typing import Any

import pytest
import websocket

# The realtime suite's app (and its Redis) for this module; ``server`` and ``publish`` come
# through this suite's conftest and so run on this app.
from tests.support.realtime import (  # noqa: F401 - fixtures used by name
    app,
    campaign_event,
    channel_prefix,
    connect,
    receive_close,
    redis_client,
    redis_url,
)
from tests.support.security import TALLY

FAMILY = "websocket"


def _refused(address: str, query: str, **kwargs: Any) -> int | None:
    try:
        ws = connect(address, query, **kwargs)
    except websocket.WebSocketBadStatusException as error:
        return error.status_code
    ws.close()
    return None


@pytest.mark.parametrize(
    ("query", "kwargs", "status"),
    [
        ("o=1", {}, 401),
        ("o=1", {"token": "wrong-token"}, 401),
        ("o=1", {"token": ""}, 401),
        ("o=2", {"token": "alice-token"}, 403),
        ("o=*", {"token": "alice-token"}, 400),
        ("o=1*", {"token": "alice-token"}, 400),
        ("o=[12]", {"token": "alice-token"}, 400),
        ("o=1%00", {"token": "alice-token"}, 400),
        ("o=1&o=2", {"token": "alice-token"}, None),
        ("o=1&campaign=*", {"token": "alice-token"}, 400),
        ("o=1&campaign=1%0d%0a", {"token": "alice-token"}, 400),
        ("o=1&ticket=forged", {}, 401),
        ("o=1", {"token": "alice-token", "origin": "https://evil.example"}, 403),
        ("o=1", {"token": "alice-token", "origin": "null"}, 403),
        ("o=1", {"token": "alice-token", "origin": "https://dashboard.example.com.evil.example"}, 403),
        ("o=1", {"token": "alice-token", "origin": "http://dashboard.example.com"}, 403),
    ],
)
def test_refused_upgrades(server: str, query: str, kwargs: dict[str, Any], status: int | None) -> None:
    got = _refused(server, query, **kwargs)
    if status is None:  # a repeated o: either refused, or the first one (alice's own org) is used
        TALLY.probe(FAMILY, leaked=got not in (None, 400))
        assert got in (None, 400)
        return
    TALLY.probe(FAMILY, leaked=got != status, server_error=(got or 0) >= 500)
    assert got == status


@pytest.mark.parametrize(
    ("frame", "codes"),
    [
        ("hello", (1007, 1008)),
        ('{"type": ', (1007, 1008)),
        (b"\xff\xfe\x00", (1003, 1007, 1008)),
        ("x" * 1_000_000, (1009,)),
    ],
)
def test_hostile_client_frames_close_the_socket_and_leak_nothing(
    server: str, publish: Any, frame: str | bytes, codes: tuple[int, ...]
) -> None:
    ws = connect(server, "o=1", token="alice-token")
    ws.send_binary(frame) if isinstance(frame, bytes) else ws.send(frame)
    try:
        code = receive_close(ws)
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        code = 1006  # the server dropped the TCP connection: refused too
    publish("1", campaign_event(1))
    publish("2", campaign_event(2))
    TALLY.probe(FAMILY, leaked=code not in (*codes, 1006))
    assert code in (*codes, 1006), code
    ws.close()


def test_a_client_cannot_resubscribe_to_another_organization(server: str, publish: Any) -> None:
    ws = connect(server, "o=1", token="alice-token", timeout=3)
    for frame in ('{"type": "subscribe", "o": "2"}', '{"type": "ping", "o": "2", "campaign": "*"}'):
        ws.send(frame)
    publish("2", campaign_event(2))
    marker = publish("1", campaign_event(1))
    while (frame := ws.recv_data_frame(control_frame=True))[0] != websocket.ABNF.OPCODE_TEXT:
        pass
    received = frame[1].data.decode()
    TALLY.probe(FAMILY, leaked=received != marker)
    assert received == marker
    ws.close()


def test_invalid_utf8_text_frame_is_refused(server: str) -> None:
    ws = connect(server, "o=1", token="alice-token")
    ws.send_frame(websocket.ABNF(1, 0, 0, 0, websocket.ABNF.OPCODE_TEXT, 1, b"\xc3\x28"))
    try:
        code = receive_close(ws)
    except (websocket.WebSocketConnectionClosedException, ConnectionError):
        code = 1006
    TALLY.probe(FAMILY, leaked=code not in (1007, 1008, 1006))
    assert code in (1007, 1008, 1006)


def test_no_event_crosses_organizations(server: str, publish: Any) -> None:
    alice = connect(server, "o=1", token="alice-token", timeout=2)
    bob = connect(server, "o=2", token="bob-token", timeout=2)
    for i in range(20):
        publish("2", campaign_event(200 + i))
        publish("3", campaign_event(300 + i))  # alice belongs to 3, but this socket is for 1
    marker = publish("1", campaign_event(100))
    received = alice.recv()
    TALLY.probe(FAMILY, leaked=received != marker)
    assert received == marker
    bob_events = []
    deadline = time.monotonic() + 2
    while time.monotonic() < deadline and len(bob_events) < 20:
        bob_events.append(bob.recv())
    leaked = [e for e in bob_events if '"id": "100"' in e or '"id": "3' in e]
    TALLY.probe(FAMILY, leaked=bool(leaked))
    assert not leaked
    alice.close(), bob.close()
