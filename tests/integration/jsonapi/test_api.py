"""Tests of flask_broadcasts.jsonapi.api: the API is scoped to its own blueprint, so a host's
404 handler, pages and own flask-smorest API keep their behaviour and error format."""

from __future__ import annotations

from tests.support.jsonapi_fixtures import HEADERS, JSONAPI


def test_host_404_handler_survives(client):
    r = client.get("/nowhere")
    assert r.status_code == 404
    assert r.mimetype == "text/html" and b"Host page not found" in r.data


def test_host_page_untouched(client):
    r = client.get("/host/page")
    assert r.status_code == 200 and r.mimetype == "text/html"


def test_api_404_is_jsonapi_even_with_host_404_handler(client):
    r = client.get("/api/articles/12345", headers=HEADERS)
    assert r.status_code == 404 and r.content_type == JSONAPI


def test_host_smorest_api_coexists(app, client):
    r = client.get("/host-api/ping")
    assert r.status_code == 200 and r.mimetype == "application/json"
    assert r.get_json() == {"pong": True}
    apis = app.extensions["flask-smorest"]["apis"]
    assert set(apis) == {"", "BROADCASTS_"}
    host_spec = client.get("/host-docs/openapi.json").get_json()
    ours = client.get("/broadcasts-docs/openapi.json").get_json()
    assert host_spec["info"]["title"] == "Host API" and "/host-api/ping" in host_spec["paths"]
    assert ours["info"]["title"] == "Broadcasts" and "/host-api/ping" not in ours["paths"]
    assert "/api/articles" in ours["paths"] and "/api/articles" not in host_spec["paths"]


def test_host_smorest_api_keeps_its_own_error_format(client):
    # flask-smorest's own app-wide handler serves the host API's errors.
    r = client.post("/host-api/ping")
    assert r.status_code == 405 and r.mimetype == "application/json"
    assert r.get_json()["code"] == 405


def test_scoped_api_alone_registers_no_app_error_handlers():
    import flask

    from flask_broadcasts.jsonapi import ScopedApi
    from tests.support.toy_jsonapi import blp

    app = flask.Flask("alone")
    app.config.update(BROADCASTS_API_TITLE="B", BROADCASTS_API_VERSION="1", BROADCASTS_OPENAPI_VERSION="3.1.0")
    ScopedApi(app, config_prefix="BROADCASTS_").register_blueprint(blp)
    assert app.error_handler_spec[None] == {}
