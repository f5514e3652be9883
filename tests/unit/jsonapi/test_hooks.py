"""flask_broadcasts.jsonapi.hooks: ``install_jsonapi`` on a host's own blueprint.

A host that adds a blueprint of its own to the API relies on its requests being negotiated and
its errors answered as JSON:API error documents (even when the host has its own
``@app.errorhandler(404)``), on a ``jsonify`` answer being labelled JSON:API, and on nothing of
it reaching the host's other routes."""

from __future__ import annotations

import logging

import pytest
from flask import Blueprint, Flask, abort, jsonify

from flask_broadcasts.jsonapi import MEDIA_TYPE, install_jsonapi


@pytest.fixture
def client():
    app = Flask("host")
    app.config["TESTING"] = True

    @app.errorhandler(404)
    def host_not_found(error):
        return "<h1>Host page not found</h1>", 404, {"Content-Type": "text/html"}

    @app.route("/page/<int:n>")
    def host_page(n):
        abort(404)

    blueprint = Blueprint("extra", __name__, url_prefix="/api")
    assert install_jsonapi(blueprint) is blueprint

    @blueprint.route("/things/<int:n>", methods=["GET", "POST"])
    def thing(n):
        if n == 0:
            abort(404, description="No thing 0.")
        if n == 1:
            raise RuntimeError("secret: password=hunter2")
        return jsonify({"data": {"type": "things", "id": str(n)}})

    app.register_blueprint(blueprint)
    return app.test_client()


def test_a_plain_json_answer_is_labelled_jsonapi(client):
    r = client.get("/api/things/7")
    assert r.status_code == 200 and r.content_type == MEDIA_TYPE
    assert r.get_json() == {"data": {"type": "things", "id": "7"}}


def test_an_abort_is_an_error_document_despite_the_hosts_404_handler(client):
    r = client.get("/api/things/0")
    assert r.status_code == 404 and r.content_type == MEDIA_TYPE
    assert r.get_json() == {"errors": [{"status": "404", "title": "Not Found", "detail": "No thing 0."}]}
    # The host's own routes keep the host's handler.
    host = client.get("/page/1")
    assert host.status_code == 404 and host.mimetype == "text/html" and b"Host page" in host.data


def test_an_unexpected_error_is_a_500_document_that_hides_the_details(client, caplog):
    with caplog.at_level(logging.ERROR):
        r = client.get("/api/things/1")
    assert r.status_code == 500 and r.content_type == MEDIA_TYPE
    assert "hunter2" not in r.get_data(as_text=True)
    assert r.get_json()["errors"][0]["status"] == "500"
    # The operator still gets the traceback in the log.
    assert any(record.exc_info and "hunter2" in str(record.exc_info[1]) for record in caplog.records)


def test_negotiation_runs_on_the_blueprint(client):
    r = client.post("/api/things/7", data="{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 415 and r.content_type == MEDIA_TYPE
    r = client.get("/api/things/7", headers={"Accept": f"{MEDIA_TYPE}; ext=x"})
    assert r.status_code == 406 and r.get_json()["errors"][0]["status"] == "406"
