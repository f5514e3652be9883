"""The response-validation plugin must itself fail loudly."""

from __future__ import annotations

import pytest
from flask import Flask, jsonify

from tests.support.jsonapi_validation import validate_document

JSONAPI = "application/vnd.api+json"


@pytest.fixture
def rogue_client():
    app = Flask("rogue")

    @app.route("/api/plain")
    def plain():
        return jsonify(data=[])

    @app.route("/api/invalid")
    def invalid():
        return app.response_class('{"errors": [{"status": 500}]}', mimetype=JSONAPI)

    @app.route("/api/with-params")
    def with_params():
        return app.response_class('{"data": null}', content_type=f"{JSONAPI}; ext=x")

    @app.route("/elsewhere")
    def elsewhere():
        return "<p>not ours</p>"

    return app.test_client()


@pytest.mark.parametrize("path", ["/api/plain", "/api/invalid", "/api/with-params"])
def test_bad_api_responses_fail_the_test(rogue_client, path):
    with pytest.raises(pytest.fail.Exception):
        rogue_client.get(path)


def test_responses_outside_the_api_are_not_checked(rogue_client):
    assert rogue_client.get("/elsewhere").status_code == 200


def test_validate_document_accepts_a_valid_document():
    validate_document({"data": {"type": "articles", "id": "1"}, "jsonapi": {"version": "1.0"}})
