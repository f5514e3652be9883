"""flask_broadcasts.jsonapi.negotiation: ``Accept`` and ``Content-Type`` as JSON:API 1.0
specifies them (406 and 415 for media type parameters)."""

from __future__ import annotations

import pytest

from tests.support.jsonapi_fixtures import JSONAPI

BODY = {"data": {"type": "articles", "attributes": {"title": "t"}}}


@pytest.mark.parametrize(
    "accept", [None, "*/*", JSONAPI, f"{JSONAPI}, {JSONAPI}; ext=x", "text/html, */*;q=0.1", f"{JSONAPI};q=0.9"]
)
def test_acceptable(client, seed, accept):
    headers = {"Accept": accept} if accept else {}
    r = client.get("/api/articles", headers=headers)
    assert r.status_code == 200
    assert r.content_type == JSONAPI


@pytest.mark.parametrize("accept", [f"{JSONAPI}; ext=x", f"{JSONAPI}; profile=p, {JSONAPI};ext=y"])
def test_all_jsonapi_accept_entries_with_parameters_is_406(client, accept):
    r = client.get("/api/articles", headers={"Accept": accept})
    assert r.status_code == 406
    assert r.get_json()["errors"][0]["status"] == "406"


def test_content_type_with_parameters_is_415(client):
    r = client.post("/api/articles", json=BODY, headers={"Content-Type": f"{JSONAPI}; charset=utf-8"})
    assert r.status_code == 415
    assert r.content_type == JSONAPI


def test_content_type_with_parameters_is_415_even_without_body(client):
    r = client.get("/api/articles", headers={"Content-Type": f"{JSONAPI}; ext=x"})
    assert r.status_code == 415


@pytest.mark.parametrize("content_type", ["application/json", "text/plain", None])
def test_body_with_other_content_type_is_415(client, content_type):
    headers = {"Content-Type": content_type} if content_type else {}
    r = client.post("/api/articles", data='{"data": {}}', headers=headers)
    assert r.status_code == 415
    assert r.get_json()["errors"][0]["title"] == "Unsupported Media Type"


def test_plain_content_type_is_accepted(client):
    r = client.post("/api/articles", json=BODY, headers={"Content-Type": JSONAPI})
    assert r.status_code == 201
    assert r.content_type == JSONAPI
