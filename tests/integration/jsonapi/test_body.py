"""Tests of flask_broadcasts.jsonapi.body: request documents as JSON:API defines them —
relationships, ``null``, client-generated ids refused, partial updates — each problem
answered with its ``source.pointer``."""

from __future__ import annotations

from tests.support import toy_jsonapi
from tests.support.jsonapi_fixtures import HEADERS, JSONAPI
from tests.support.jsonapi_validation import validate_document


def post(client, body):
    return client.post("/api/articles", json=body, headers=HEADERS)


def test_create_with_relationship_meta_and_null_is_201(client, seed):
    body = {
        "meta": {"client": "test"},
        "data": {
            "type": "articles",
            "meta": {"trace": 1},
            "attributes": {"title": "new", "body": None},
            "relationships": {"author": {"data": {"type": "people", "id": str(seed["bob"])}}},
        },
    }
    validate_document(body, "https://jsonapi.org/schemas/spec/v1.0/draft/create/resource")
    r = post(client, body)
    assert r.status_code == 201 and "Location" not in r.headers
    assert r.content_type == JSONAPI
    doc = r.get_json()
    assert doc["data"]["attributes"]["body"] is None
    assert doc["data"]["relationships"]["author"]["data"] == {"type": "people", "id": str(seed["bob"])}
    assert doc["meta"] == {"echo": {"client": "test"}}


def test_null_to_one_relationship_is_accepted(client):
    body = {"data": {"type": "articles", "attributes": {"title": "x"}, "relationships": {"author": {"data": None}}}}
    assert post(client, body).status_code == 201


def test_relationship_of_wrong_type_is_422_with_pointer(client):
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "x"},
            "relationships": {"author": {"data": {"type": "teams", "id": "1"}}},
        }
    }
    r = post(client, body)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["source"]["pointer"] == "/data/relationships/author/data"


def test_client_generated_id_is_403(client):
    r = post(client, {"data": {"type": "articles", "id": "abc", "attributes": {"title": "x"}}})
    assert r.status_code == 403
    assert r.get_json()["errors"][0]["source"] == {"pointer": "/data/id"}


def test_update_is_partial(client, seed):
    body = {"data": {"type": "articles", "id": "1", "attributes": {"views": 99}}}
    r = client.patch("/api/articles/1", json=body, headers=HEADERS)
    assert r.status_code == 200
    attributes = r.get_json()["data"]["attributes"]
    assert attributes["views"] == 99 and attributes["title"] == "alpha"


def test_update_clears_optional_attribute_with_null_but_not_required_one(client, seed):
    body = {"data": {"type": "articles", "id": "1", "attributes": {"body": None}}}
    assert client.patch("/api/articles/1", json=body, headers=HEADERS).status_code == 200
    assert toy_jsonapi.db.session.get(toy_jsonapi.Article, 1).body is None
    body = {"data": {"type": "articles", "id": "1", "attributes": {"title": None}}}
    r = client.patch("/api/articles/1", json=body, headers=HEADERS)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/title"


def test_update_id_mismatch_is_409(client, seed):
    body = {"data": {"type": "articles", "id": "2", "attributes": {"views": 1}}}
    r = client.patch("/api/articles/1", json=body, headers=HEADERS)
    assert r.status_code == 409
    assert r.get_json()["errors"][0]["source"] == {"pointer": "/data/id"}


def test_update_without_id_is_400(client, seed):
    body = {"data": {"type": "articles", "attributes": {"views": 1}}}
    r = client.patch("/api/articles/1", json=body, headers=HEADERS)
    assert r.status_code == 400


def test_update_wrong_type_is_409(client, seed):
    body = {"data": {"type": "people", "id": "1", "attributes": {"views": 1}}}
    assert client.patch("/api/articles/1", json=body, headers=HEADERS).status_code == 409


def test_update_unknown_resource_is_404(client, seed):
    body = {"data": {"type": "articles", "id": "99", "attributes": {"views": 1}}}
    assert client.patch("/api/articles/99", json=body, headers=HEADERS).status_code == 404


def test_delete_is_204_without_body(client, seed):
    r = client.delete("/api/articles/1", headers=HEADERS)
    assert r.status_code == 204 and r.get_data() == b""
    assert client.get("/api/articles/1", headers=HEADERS).status_code == 404
