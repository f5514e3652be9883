"""flask_broadcasts.api.base: what every resource blueprint does before its view runs.

A host relies on a body above ``BROADCASTS_MAX_CONTENT_LENGTH`` being refused (413) before the
token is even looked up, on every request needing a Bearer token (401) of a member of the
organization named by ``?o=`` (403) before any view runs, and on a created resource's
``Location`` being its own URL with ``?o=``."""

from __future__ import annotations

import json

import pytest
import sqlalchemy as sa

from flask_broadcasts.api.base import resource_url
from flask_broadcasts.models import BroadcastSuppression
from tests.support.host import db, make_app
from tests.support.host_fixtures import JSONAPI, ORG_A, ORG_B

CAP = 400


@pytest.fixture
def app(database_uri):
    app = make_app(database_uri, BROADCASTS_MAX_CONTENT_LENGTH=CAP)
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def _post(client, org, token, document):
    headers = {"Content-Type": JSONAPI, "Accept": JSONAPI}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    return client.post(f"/api/broadcast-suppressions?o={org}", data=json.dumps(document), headers=headers)


def _document(address="ann@example.com", padding=""):
    attributes = {"channel": "mail", "address": address}
    return {"meta": {"padding": padding}, "data": {"type": "broadcast-suppressions", "attributes": attributes}}


def _suppressions():
    return db.session.scalars(sa.select(BroadcastSuppression.address)).all()


def test_a_body_above_the_cap_is_a_413_before_authentication(app):
    client = app.test_client()
    for token in ("token-a", None):
        r = _post(client, ORG_A, token, _document(padding="x" * CAP))
        assert r.status_code == 413, r.get_json()
        assert r.get_json()["errors"][0]["code"] == "body_too_large"
    # Just under the cap is served.
    small = _document()
    small["meta"]["padding"] = "x" * (CAP - len(json.dumps(small)) - 1)
    assert _post(client, ORG_A, "token-a", small).status_code == 201
    assert _suppressions() == ["ann@example.com"]


@pytest.mark.parametrize(
    ("org", "token", "status"),
    [(ORG_A, None, 401), (ORG_A, "no-such-token", 401), (ORG_B, "token-a", 403), ("", "token-a", 400)],
)
def test_no_view_runs_without_a_member_of_the_organization(app, org, token, status):
    r = _post(app.test_client(), org, token, _document())
    assert r.status_code == status, r.get_json()
    assert r.content_type == JSONAPI
    assert _suppressions() == []


def test_a_created_resource_is_located_at_its_own_url_in_its_organization(app):
    r = _post(app.test_client(), ORG_A, "token-a", _document())
    created = r.get_json()["data"]["id"]
    with app.test_request_context():
        expected = resource_url("broadcast_suppressions.SuppressionItem", created, ORG_A)
    assert expected == f"http://localhost/api/broadcast-suppressions/{created}?o={ORG_A}"
    assert r.headers["Location"] == expected and r.get_json()["links"]["self"] == expected
