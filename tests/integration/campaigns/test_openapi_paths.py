"""The OpenAPI document lists the campaign and message operations in the JSON:API envelope."""

from __future__ import annotations

from werkzeug.test import Client

from tests.support.host import make_app


def test_openapi_document_describes_the_resources():
    # A plain werkzeug client: the OpenAPI document is JSON, not a JSON:API document.
    document = Client(make_app()).get("/api/broadcasts-docs/openapi.json").get_json()
    assert {
        "/api/broadcast-campaigns",
        "/api/broadcast-campaigns/{id}",
        "/api/broadcast-campaigns/{id}/draft-messages",
        "/api/broadcast-campaigns/{id}/messages",
        "/api/broadcast-messages/{id}",
    } <= set(document["paths"])
    listing = document["paths"]["/api/broadcast-campaigns/{id}/messages"]["get"]
    names = {p["name"] for p in listing["parameters"]}
    assert {"o", "include", "filter[status]", "page[after]", "page[size]", "sort"} <= names
    assert "application/vnd.api+json" in listing["responses"]["200"]["content"]
    preview = document["paths"]["/api/broadcast-campaigns/{id}/draft-messages"]["get"]
    # The preview's own parameter is documented beside JSON:API's, not instead of them.
    parameters = {p["name"]: p for p in preview["parameters"]}
    assert {"o", "include", "with_counts"} <= set(parameters)
    assert parameters["with_counts"]["schema"] == {"type": "boolean", "default": False}
