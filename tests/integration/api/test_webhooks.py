"""Tests of flask_broadcasts.api.webhooks.

``/broadcast-webhooks`` and ``/broadcast-webhook-deliveries`` over HTTP: the secret shown once,
the SSRF guard at creation (422 at ``/data/attributes/url``), rotation, the log, redeliver,
another organization's webhooks invisible."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask

from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import EventType
from flask_broadcasts.webhooks.events import publish
from tests.support.host import ORG, db, make_app
from tests.support.host_fixtures import database_uri, headers  # noqa: F401
from tests.support.webhooks import RecordingWebhookQueue

BASE = "/api/broadcast-webhooks"


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:  # noqa: F811 - the fixture of tests.support.host_fixtures
    app = make_app(database_uri)
    with app.app_context():
        get_state(app).webhook_queue = RecordingWebhookQueue()
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def client(app: Flask):
    return app.test_client()


def _create(client, url: str = "https://hooks.example.com/in", events=("campaign.completed",), token="alice"):
    document = {"data": {"type": "broadcast-webhooks", "attributes": {"url": url, "events": list(events)}}}
    return client.post(f"{BASE}?o={ORG}", json=document, headers=headers(token))


def test_the_secret_is_shown_at_creation_only(client, monkeypatch):
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    created = _create(client)
    assert created.status_code == 201, created.json
    attributes = created.json["data"]["attributes"]
    assert attributes["secret"].startswith("whsec_") and attributes["active"] is True
    assert created.headers["Location"].endswith(f"/broadcast-webhooks/{created.json['data']['id']}?o={ORG}")
    fetched = client.get(f"{BASE}/{created.json['data']['id']}?o={ORG}", headers=headers())
    assert fetched.status_code == 200 and fetched.json["data"]["attributes"]["secret"] is None
    listed = client.get(f"{BASE}?o={ORG}", headers=headers())
    assert [item["attributes"]["secret"] for item in listed.json["data"]] == [None]

    rotated = client.post(f"{BASE}/{created.json['data']['id']}/rotate-secret?o={ORG}", headers=headers())
    assert rotated.status_code == 200
    assert rotated.json["data"]["attributes"]["secret"] not in (None, attributes["secret"])
    # GET never rotates (no prefetch makes a new secret).
    assert (
        client.get(f"{BASE}/{created.json['data']['id']}/rotate-secret?o={ORG}", headers=headers()).status_code == 405
    )


@pytest.mark.parametrize(
    "url",
    [
        "https://10.0.0.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://localhost/hook",
        "http://hooks.example.com/in",
        "ftp://hooks.example.com/in",
    ],
)
def test_a_refused_url_is_a_422_at_the_url(client, url):
    answer = _create(client, url)
    assert answer.status_code == 422
    [error] = answer.json["errors"]
    assert error["source"]["pointer"] == "/data/attributes/url" and error["code"] == "refused_url"


def test_unknown_events_and_missing_attributes_are_reported_together(client):
    answer = _create(client, url="", events=["campaign.completed", "campaign.exploded"])
    assert answer.status_code == 422
    assert {e["source"]["pointer"] for e in answer.json["errors"]} == {
        "/data/attributes/url",
        "/data/attributes/events/1",
    }


def test_the_log_and_redeliver(app, client, monkeypatch):
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    webhook_id = _create(client).json["data"]["id"]
    session = get_state(app).session
    publish(session, EventType.CAMPAIGN_COMPLETED, ORG, {"campaign_id": 7})
    session.commit()
    log = client.get(f"/api/broadcast-webhook-deliveries?o={ORG}&filter[webhook]={webhook_id}", headers=headers())
    assert log.status_code == 200, log.json
    [entry] = log.json["data"]
    assert entry["attributes"]["status"] == "pending" and entry["attributes"]["attempts"] == 0
    assert entry["attributes"]["payload"]["type"] == "campaign.completed"
    assert entry["attributes"]["payload"]["data"] == {"organization_id": ORG, "campaign_id": 7}
    assert entry["relationships"]["webhook"]["data"] == {"type": "broadcast-webhooks", "id": webhook_id}

    again = client.post(f"/api/broadcast-webhook-deliveries/{entry['id']}/redeliver?o={ORG}", headers=headers())
    assert again.status_code == 201
    assert again.json["data"]["attributes"]["event_id"] == entry["attributes"]["event_id"]
    queued = [delivery_id for delivery_id, _ in get_state(app).webhook_queue.queued]
    assert queued == [int(entry["id"]), int(again.json["data"]["id"])]
    # Another organization sees none of it.
    other = client.get(f"/api/broadcast-webhook-deliveries/{entry['id']}?o=2", headers=headers("eve"))
    assert other.status_code == 404
    assert client.get(f"{BASE}/{webhook_id}?o=2", headers=headers("eve")).status_code == 404
    assert client.get(f"{BASE}?o=2", headers=headers("eve")).json["data"] == []


def test_deactivate_and_reactivate(client, monkeypatch):
    monkeypatch.setattr("socket.getaddrinfo", lambda *a, **k: [(2, 1, 6, "", ("93.184.215.14", 443))])
    webhook_id = _create(client).json["data"]["id"]
    patch = {"data": {"type": "broadcast-webhooks", "id": webhook_id, "attributes": {"active": False}}}
    answer = client.patch(f"{BASE}/{webhook_id}?o={ORG}", json=patch, headers=headers())
    assert answer.status_code == 200 and answer.json["data"]["attributes"]["active"] is False
    patch["data"]["attributes"] = {"url": "https://10.1.2.3/x"}
    answer = client.patch(f"{BASE}/{webhook_id}?o={ORG}", json=patch, headers=headers())
    assert answer.status_code == 422 and answer.json["errors"][0]["source"]["pointer"] == "/data/attributes/url"
    assert client.delete(f"{BASE}/{webhook_id}?o={ORG}", headers=headers()).status_code == 204
