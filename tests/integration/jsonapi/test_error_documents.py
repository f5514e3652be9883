"""flask_broadcasts.jsonapi.error_documents: every error, from malformed JSON to an
unexpected exception, is a JSON:API error document with its status and ``source.pointer``."""

from __future__ import annotations

import logging

from tests.support.jsonapi_fixtures import HEADERS, JSONAPI


def test_malformed_json_is_400(client):
    r = client.post("/api/articles", data="{not json", headers=HEADERS)
    assert r.status_code == 400
    (error,) = r.get_json()["errors"]
    assert error["status"] == "400" and error["title"] == "Bad Request"
    assert "not valid JSON" in error["detail"]


def test_document_without_data_object_is_400_with_pointer(client):
    r = client.post("/api/articles", json={"data": []}, headers=HEADERS)
    assert r.status_code == 400
    assert r.get_json()["errors"][0]["source"] == {"pointer": "/data"}


def test_validation_error_is_422_with_attribute_pointer(client):
    body = {"data": {"type": "articles", "attributes": {"title": "", "views": -1}}}
    r = client.post("/api/articles", json=body, headers=HEADERS)
    assert r.status_code == 422
    pointers = {e["source"]["pointer"] for e in r.get_json()["errors"]}
    assert pointers == {"/data/attributes/title", "/data/attributes/views"}
    assert all(e["status"] == "422" for e in r.get_json()["errors"])


def test_missing_required_attribute_is_422(client):
    r = client.post("/api/articles", json={"data": {"type": "articles"}}, headers=HEADERS)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/title"


def test_unknown_attribute_is_422(client):
    body = {"data": {"type": "articles", "attributes": {"title": "x", "colour": "red"}}}
    r = client.post("/api/articles", json=body, headers=HEADERS)
    assert r.status_code == 422
    assert r.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/colour"


def test_service_errors_many_with_codes(client):
    body = {"data": {"type": "articles", "attributes": {"title": "taken"}}}
    r = client.post("/api/articles", json=body, headers=HEADERS)
    assert r.status_code == 422
    errors = r.get_json()["errors"]
    assert [e.get("code") for e in errors] == ["taken", None]
    assert errors[1]["source"]["pointer"] == "/data/attributes/views"


def test_wrong_type_is_409(client):
    body = {"data": {"type": "people", "attributes": {"title": "x"}}}
    r = client.post("/api/articles", json=body, headers=HEADERS)
    assert r.status_code == 409
    assert r.get_json()["errors"][0]["source"] == {"pointer": "/data/type"}


def test_incorrect_type_error_raised_in_a_view_is_409(client):
    # Unhandled, marshmallow-jsonapi's IncorrectTypeError would be a 500.
    r = client.post("/api/raw-load", json={"data": {"type": "people"}}, headers=HEADERS)
    assert r.status_code == 409
    assert r.get_json()["errors"][0]["source"] == {"pointer": "/data/type"}


def test_unknown_resource_is_404_with_code(client):
    r = client.get("/api/articles/999", headers=HEADERS)
    assert r.status_code == 404
    (error,) = r.get_json()["errors"]
    assert error == {"status": "404", "title": "Not Found", "detail": "No article 999.", "code": "article_not_found"}


def test_unknown_url_under_api_prefix_is_jsonapi_404(client):
    r = client.get("/api/nothing-here", headers=HEADERS)
    assert r.status_code == 404
    assert r.content_type == JSONAPI


def test_method_not_allowed_is_405_with_allow(client):
    r = client.put("/api/articles", json={}, headers=HEADERS)
    assert r.status_code == 405
    assert r.content_type == JSONAPI
    assert "GET" in r.headers["Allow"] and "POST" in r.headers["Allow"]
    assert r.get_json()["errors"][0]["status"] == "405"


def test_unexpected_error_is_500_without_internals_and_logged(client, caplog):
    with caplog.at_level(logging.ERROR):
        r = client.get("/api/boom", headers=HEADERS)
    assert r.status_code == 500
    body = r.get_data(as_text=True)
    assert "hunter2" not in body and "RuntimeError" not in body and "srv" not in body
    assert r.get_json()["errors"][0]["detail"] == "An unexpected error occurred."
    assert any("hunter2" in (rec.exc_text or "") or rec.exc_info for rec in caplog.records)
