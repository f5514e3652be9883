"""flask_broadcasts.api.event_tickets: ``POST /broadcast-event-tickets``, the websocket's browser ticket.

A dashboard relies on the 201 carrying a ticket (its id) that opens the events socket of the
organization it was asked for, once, before ``expires_at`` (``BROADCASTS_WS_TICKET_TTL`` from
now, RFC 3339 UTC); on the answer never being cached (it is a credential); and on a Redis outage
being a 503 saying to retry, not a 500. The websocket side is tests/integration/realtime/test_websocket.py."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flask_broadcasts.realtime.tickets import redeem_ticket
from tests.support.host import ORG, make_app
from tests.support.host_fixtures import headers

URL = f"/api/broadcast-event-tickets?o={ORG}"
DOCUMENT = {"data": {"type": "broadcast-event-tickets"}}


@pytest.fixture
def app(redis_url):
    # Tickets live in Redis only: the host's database is never queried.
    app = make_app(BROADCASTS_REDIS_URL=redis_url, BROADCASTS_WS_TICKET_TTL=45)
    with app.app_context():
        yield app


def test_a_ticket_opens_its_organization_once_before_it_expires(app):
    before = datetime.now(UTC).replace(microsecond=0)
    r = app.test_client().post(URL, json=DOCUMENT, headers=headers("alice"))
    assert r.status_code == 201, r.get_json()
    assert r.headers["Cache-Control"] == "no-store"
    data = r.get_json()["data"]
    assert data["type"] == "broadcast-event-tickets" and len(data["id"]) >= 40
    expires_at = datetime.strptime(data["attributes"]["expires_at"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC)
    assert before + timedelta(seconds=45) <= expires_at <= datetime.now(UTC) + timedelta(seconds=45)
    # Bound to the organization asked for; used up by the first socket.
    assert redeem_ticket(data["id"]) == (None, ORG)
    assert redeem_ticket(data["id"]) is None


def test_each_request_gets_its_own_ticket(app):
    client = app.test_client()
    first, second = (client.post(URL, json=DOCUMENT, headers=headers("alice")) for _ in range(2))
    assert first.get_json()["data"]["id"] != second.get_json()["data"]["id"]


def test_only_a_member_of_the_organization_gets_a_ticket(app):
    client = app.test_client()
    assert client.post(URL, json=DOCUMENT, headers=headers("eve")).status_code == 403
    no_token = {key: value for key, value in headers().items() if key != "Authorization"}
    assert client.post(URL, json=DOCUMENT, headers=no_token).status_code == 401


def test_a_redis_outage_is_a_503_saying_when_to_retry_not_a_500():
    # Nothing listens on port 1: the connection is refused at once.
    app = make_app(BROADCASTS_REDIS_URL="redis://127.0.0.1:1/0")
    with app.app_context():
        r = app.test_client().post(URL, json=DOCUMENT, headers=headers("alice"))
    assert r.status_code == 503
    assert r.headers["Retry-After"] == "5"  # as docs/realtime.rst promises
    assert r.get_json()["errors"][0]["detail"] == "Tickets are unavailable; retry shortly."
