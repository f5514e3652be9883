"""The endpoint behind a real threaded server, with a real websocket client and real Redis."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime

import pytest
import requests
import websocket
from werkzeug.serving import make_server

from flask_broadcasts.realtime import tickets
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.realtime import (
    JSONAPI,
    campaign_event,
    connect,
    post_ticket,
    receive_close,
    refused_status,
    request_ticket,
    wait_for,
)
from tests.support.realtime_host import create_app


def subscribers(app) -> int:  # type: ignore[no-untyped-def]
    hub = get_state(app).hub
    return 0 if hub is None else hub.subscriber_count()


def test_frames_are_exactly_the_published_events(server, publish, app) -> None:  # type: ignore[no-untyped-def]
    ws = connect(server, "o=1", token="alice-token")
    documents = [
        campaign_event(12, 5),
        campaign_event(12, 10),
        {
            "event": "broadcast-campaigns.updated",
            "data": {
                "type": "broadcast-campaigns",
                "id": "12",
                "attributes": {"name": "Ünïcode ✓", "status": "completed"},
            },
        },
    ]
    for document in documents:  # one at a time: queued updates of one campaign would coalesce
        text = publish("1", document)
        assert ws.recv() == text
    ws.close()
    wait_for(lambda: subscribers(app) == 0)


@pytest.mark.parametrize(
    ("query", "token", "status"),
    [
        ("o=1", None, 401),
        ("o=1", "wrong-token", 401),
        ("o=2", "alice-token", 403),
        ("o=", "alice-token", 400),
        ("o=1&campaign=../x", "alice-token", 400),
        ("o=1&ticket=forged", None, 401),
    ],
)
def test_auth_failures_are_refused_before_the_upgrade(server, app, query: str, token: str | None, status: int) -> None:  # type: ignore[no-untyped-def]
    assert refused_status(server, query, token=token) == status
    assert subscribers(app) == 0


def test_origin_failures_are_refused_and_allowed_origins_pass(server) -> None:  # type: ignore[no-untyped-def]
    assert refused_status(server, "o=1", token="alice-token", origin="https://evil.example") == 403
    assert refused_status(server, "o=1", token="alice-token", origin="null") == 403
    for origin in (f"http://{server}", "https://dashboard.example.com", None):
        connect(server, "o=1", token="alice-token", origin=origin).close()


def test_an_organization_never_receives_another_ones_events(server, publish) -> None:  # type: ignore[no-untyped-def]
    alice, bob = connect(server, "o=1", token="alice-token"), connect(server, "o=2", token="bob-token")
    publish("2", campaign_event(20))
    publish("3", campaign_event(30))  # alice is a member of 3, but her socket is for 1
    last = publish("1", campaign_event(10))
    assert alice.recv() == last  # events arrive in order: had 2's or 3's come, they'd be first
    assert json.loads(bob.recv())["data"]["id"] == "20"
    alice.close(), bob.close()


def test_a_client_can_narrow_to_one_campaign(server, publish) -> None:  # type: ignore[no-untyped-def]
    ws = connect(server, "o=1&campaign=12", token="alice-token")
    publish("1", campaign_event(13))
    last = publish("1", campaign_event(12, 10))
    assert ws.recv() == last
    ws.close()


def test_browser_flow_with_a_single_use_request_ticket(server, publish, redis_client) -> None:  # type: ignore[no-untyped-def]
    one = request_ticket(server, "1")
    ws = connect(server, f"o=1&ticket={one}", origin=f"http://{server}")
    text = publish("1", campaign_event(12))
    assert ws.recv() == text
    ws.close()
    assert refused_status(server, f"o=1&ticket={one}") == 401  # used up
    assert refused_status(server, f"o=3&ticket={request_ticket(server, '1')}") == 403  # bound to its organization


def test_ticket_endpoint(server, redis_client) -> None:  # type: ignore[no-untyped-def]
    no_token = post_ticket(server, "o=1", token=None)
    assert no_token.status_code == 401 and no_token.json()["errors"][0]["status"] == "401"
    refused = post_ticket(server, "o=2")
    assert refused.status_code == 403 and refused.headers["Content-Type"] == "application/vnd.api+json"
    assert refused.json()["errors"][0]["source"] == {"parameter": "o"}
    issued = post_ticket(server, "o=1")
    assert issued.status_code == 201 and issued.headers["Content-Type"] == "application/vnd.api+json"
    assert issued.headers["Cache-Control"] == "no-store"
    data = issued.json()["data"]
    assert data["type"] == "broadcast-event-tickets" and data["attributes"]["expires_at"].endswith("Z")
    key = tickets._key(data["id"])
    assert 0 < redis_client.ttl(key) <= 30


@pytest.mark.parametrize(
    ("document", "content_type", "status"),
    [
        (None, None, 415),  # a JSON:API create: the body is a document, sent as such
        ({"data": {"type": "broadcast-event-tickets"}}, "application/json", 415),
        (None, "application/vnd.api+json", 400),
        ({"data": {"type": "broadcast-campaigns"}}, "application/vnd.api+json", 409),
        ({"data": {"type": "broadcast-event-tickets", "id": "mine"}}, "application/vnd.api+json", 403),
        (
            {"data": {"type": "broadcast-event-tickets", "attributes": {"expires_at": "2099-01-01T00:00:00Z"}}},
            "application/vnd.api+json",
            422,
        ),
    ],
)
def test_ticket_requests_are_jsonapi_creates(server, document, content_type, status) -> None:  # type: ignore[no-untyped-def]
    response = post_ticket(server, "o=1", document=document, content_type=content_type)
    assert response.status_code == status, response.text
    assert response.json()["errors"][0]["status"] == str(status)


def test_ticket_endpoint_is_in_the_openapi_document(redis_url, channel_prefix) -> None:  # type: ignore[no-untyped-def]
    from tests.support.realtime_host import create_app

    app = create_app(redis_url, channel_prefix, BROADCASTS_OPENAPI_URL_PREFIX="/api/broadcasts-docs")
    document = app.test_client().get("/api/broadcasts-docs/openapi.json").get_json()
    operation = document["paths"]["/api/broadcast-event-tickets"]["post"]
    assert "201" in operation["responses"] and "application/vnd.api+json" in operation["requestBody"]["content"]
    assert "o" in {p["name"] for p in operation["parameters"]}
    assert "/api/broadcast-events" not in document["paths"]  # the websocket stays out of it


def test_pings_and_small_control_messages_are_ignored(server, publish) -> None:  # type: ignore[no-untyped-def]
    ws = connect(server, "o=1", token="alice-token")
    ws.ping(b"hi")
    ws.send('{"type": "ping"}')
    last = publish("1", campaign_event(12))
    while (frame := ws.recv_data_frame(control_frame=True))[0] != websocket.ABNF.OPCODE_TEXT:
        pass
    assert frame[1].data.decode() == last
    ws.close()


@pytest.mark.parametrize(
    ("frame", "code"),
    [
        ("hello", 1008),
        ('{"no": "type"}', 1008),
        (b"\x01\x02", 1008),
        ('{"type": "x", "pad": "' + "x" * 5000 + '"}', 1009),
    ],
)
def test_malformed_or_oversized_client_frames_close_the_socket(server, app, frame: str | bytes, code: int) -> None:  # type: ignore[no-untyped-def]
    ws = connect(server, "o=1", token="alice-token")
    ws.send_binary(frame) if isinstance(frame, bytes) else ws.send(frame)
    assert receive_close(ws) == code
    wait_for(lambda: subscribers(app) == 0)


def test_losing_redis_closes_sockets_with_1013_and_the_hub_resubscribes(server, app, publish, redis_client) -> None:  # type: ignore[no-untyped-def]
    ws = connect(server, "o=1", token="alice-token")
    hub = get_state(app).hub
    hub.backoff = (0.05, 0.1)
    names = [
        c
        for c in redis_client.client_list()
        if c.get("name", "").startswith("broadcasts-hub:") and c.get("psub") == "1"
    ]
    ours = [c for c in names if int(c["name"].rsplit(":", 1)[1]) == hub.pid]
    for client in ours:
        redis_client.client_kill_filter(_id=client["id"])
    assert receive_close(ws) == 1013
    again = connect(server, "o=1", token="alice-token")  # waits for the new subscription
    text = publish("1", campaign_event(12))
    assert again.recv() == text
    again.close()


def test_without_redis_the_upgrade_is_refused_with_503(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    import threading

    from werkzeug.serving import make_server

    from flask_broadcasts.realtime import websocket as endpoint
    from tests.support.realtime_host import create_app

    monkeypatch.setattr(endpoint, "SUBSCRIBE_WAIT", 0.3)
    app = create_app("redis://127.0.0.1:1/0", "unreachable:org:")  # nothing listens on port 1
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        address = f"127.0.0.1:{httpd.server_port}"
        assert refused_status(address, "o=1", token="alice-token") == 503
        assert refused_status(address, "o=1&ticket=whatever") == 503
        assert subscribers(app) == 0
    finally:
        get_state(app).hub.stop(timeout=0)
        httpd.shutdown()


@pytest.fixture
def db_app(redis_url, channel_prefix, host_database, tmp_path):  # type: ignore[no-untyped-def]
    """The realtime host app on a database with the extension's tables (no worker)."""
    app = create_app(redis_url, channel_prefix, SQLALCHEMY_DATABASE_URI=host_database.for_test(tmp_path))
    get_state(app).dispatcher = RecordingDispatcher()
    yield app
    hub = get_state(app).hub
    if hub is not None:
        hub.stop(timeout=0)
    with app.app_context():
        get_state(app).db.session.remove()
        get_state(app).db.engine.dispose()


def _in_progress_campaign(app) -> int:  # type: ignore[no-untyped-def]
    """A campaign of organization 1 mid-run in the database (materialized: one message sent, two pending)."""
    from flask_broadcasts.models import (
        BroadcastAudience,
        BroadcastCampaign,
        BroadcastMessage,
        BroadcastRun,
        BroadcastTemplate,
    )

    with app.app_context():
        session = get_state(app).session
        template = BroadcastTemplate(organization_id="1", name="t", subject="Hi", body="<p>Hi</p>", channels=["mail"])
        audience = BroadcastAudience(organization_id="1", name="a", audience_type="customers")
        session.add_all([template, audience])
        session.flush()
        campaign = BroadcastCampaign(
            organization_id="1",
            name="c",
            template_id=template.id,
            audience_id=audience.id,
            status="in-progress",
            run_key="once",
            sent_count=1,
            total_count=1,
        )
        session.add(campaign)
        session.flush()
        session.add(
            BroadcastRun(
                organization_id="1",
                campaign_id=campaign.id,
                run_key="once",
                status="in-progress",
                sent_count=1,
                materialized_at=datetime.now(UTC),
            )
        )
        session.add_all(
            BroadcastMessage(
                organization_id="1",
                campaign_id=campaign.id,
                run_key="once",
                recipient_type="customers",
                recipient_id=str(i),
                channels=["mail"],
                email=f"c{i}@example.test",
                status="completed" if i == 1 else "pending",
            )
            for i in (1, 2, 3)
        )
        session.commit()
        return campaign.id


def test_the_websocket_sees_paused_then_in_progress(db_app) -> None:  # type: ignore[no-untyped-def]
    campaign_id = _in_progress_campaign(db_app)
    httpd = make_server("127.0.0.1", 0, db_app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    address = f"127.0.0.1:{httpd.server_port}"
    try:
        ws = connect(address, f"o=1&ticket={request_ticket(address, '1')}", origin=f"http://{address}")
        seen = []
        for action in ("pause", "resume"):
            answer = requests.post(
                f"http://{address}/api/broadcast-campaigns/{campaign_id}/{action}?o=1",
                headers={"Authorization": "Bearer alice-token", "Accept": JSONAPI},
                timeout=5,
            )
            assert answer.status_code == 200, answer.text
            event = json.loads(ws.recv())
            assert event["event"] == "broadcast-campaigns.updated"
            assert event["data"]["id"] == str(campaign_id)
            attributes = event["data"]["attributes"]
            seen.append((attributes["status"], attributes["status_reason"]))
            # The event and the action's answer tell the same state.
            answered = answer.json()["data"]["attributes"]
            assert (answered["status"], answered["status_reason"]) == seen[-1]
        ws.close()
    finally:
        httpd.shutdown()
        thread.join(5)
    # Resumed with messages stored: back to in-progress (docs/api.rst), reason cleared.
    assert seen == [("paused", "paused"), ("in-progress", None)]
    assert get_state(db_app).dispatcher.queued == [("send", campaign_id, "once")]
