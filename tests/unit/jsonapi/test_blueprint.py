"""flask_broadcasts.jsonapi.blueprint: the ``jsonapi_*`` decorators of a resource's views.

A resource author relies on each view receiving the parsed request (a query or a loaded body)
and never running for a request the decorator refused; a client relies on the OpenAPI document
describing each operation as it behaves: the tenant parameter, the JSON:API request document,
the success status and the error responses."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask
from flask.views import MethodView

from flask_broadcasts.jsonapi import (
    MEDIA_TYPE,
    CollectionQuery,
    JsonApiBlueprint,
    Payload,
    ResourceQuery,
    ScopedApi,
    no_content,
    render_resource,
)
from tests.support.toy_jsonapi import ARTICLE, ARTICLES, ArticleSchema

HEADERS = {"Content-Type": MEDIA_TYPE, "Accept": MEDIA_TYPE}


def _article(id, **attributes):
    return SimpleNamespace(id=id, title="t", body=None, views=0, created_at=None, author=None, **attributes)


def make_app(calls: list, tenant_parameter: str | None = "o") -> tuple[Flask, ScopedApi]:
    blp = JsonApiBlueprint("notes", __name__, url_prefix="/api", tenant_parameter=tenant_parameter)

    @blp.route("/articles")
    class Articles(MethodView):
        @blp.jsonapi_collection(ARTICLES, parameters=[{"name": "q", "in": "query", "schema": {"type": "string"}}])
        def get(self, query):
            calls.append(query)
            return {"data": []}

        @blp.jsonapi_create(ArticleSchema)
        def post(self, payload):
            calls.append(payload)
            return render_resource(_article(1), ArticleSchema, status=201)

    @blp.route("/articles/<int:id>")
    class ArticleItem(MethodView):
        @blp.jsonapi_resource(ARTICLE)
        def get(self, query, id):
            calls.append((query, id))
            return render_resource(_article(id), query)

        @blp.jsonapi_update(ArticleSchema)
        def patch(self, payload, id):
            calls.append((payload, id))
            return render_resource(_article(id), ArticleSchema)

        @blp.jsonapi_delete(ArticleSchema)
        def delete(self, id):
            calls.append(id)
            return no_content()

    app = Flask("blueprint")
    app.config.update(
        TESTING=True,
        BROADCASTS_API_TITLE="B",
        BROADCASTS_API_VERSION="1",
        BROADCASTS_OPENAPI_VERSION="3.1.0",
    )
    api = ScopedApi(app, config_prefix="BROADCASTS_")
    api.register_blueprint(blp)
    return app, api


@pytest.fixture
def calls():
    return []


@pytest.fixture
def client(calls):
    return make_app(calls)[0].test_client()


def test_views_receive_the_parsed_query(client, calls):
    assert client.get("/api/articles?sort=-views&page[size]=5&filter[min_views]=3", headers=HEADERS).status_code == 200
    assert client.get("/api/articles/4?include=author&fields[articles]=title", headers=HEADERS).status_code == 200
    listing, (item, id) = calls
    assert isinstance(listing, CollectionQuery)
    assert [str(key) for key in listing.sort] == ["-views"]
    assert listing.page.size == 5 and listing.filters == {"min_views": 3}
    assert isinstance(item, ResourceQuery) and id == 4
    assert item.include == ("author",) and item.fields == {"articles": frozenset({"title"})}


def test_views_receive_the_loaded_body(client, calls):
    body = {"data": {"type": "articles", "attributes": {"title": "new", "views": 2}}}
    assert client.post("/api/articles", json=body, headers=HEADERS).status_code == 201
    body = {"data": {"type": "articles", "id": "4", "attributes": {"views": 9}}}
    assert client.patch("/api/articles/4", json=body, headers=HEADERS).status_code == 200
    created, (updated, id) = calls
    assert isinstance(created, Payload) and created.attributes == {"title": "new", "views": 2}
    # An update is partial: only what was sent.
    assert updated.attributes == {"views": 9} and updated.id == "4" and id == 4


@pytest.mark.parametrize(
    ("method", "url", "body", "status"),
    [
        ("get", "/api/articles?sort=colour", None, 400),
        ("get", "/api/articles/4?include=editor", None, 400),
        ("post", "/api/articles", {"data": {"type": "articles", "attributes": {"title": ""}}}, 422),
        ("patch", "/api/articles/4", {"data": {"type": "articles", "id": "5", "attributes": {}}}, 409),
    ],
)
def test_a_refused_request_never_reaches_the_view(client, calls, method, url, body, status):
    r = getattr(client, method)(url, json=body, headers=HEADERS)
    assert r.status_code == status and r.content_type == MEDIA_TYPE
    assert calls == []


def test_the_openapi_document_describes_each_operation(calls):
    paths = make_app(calls)[1].spec.to_dict()["paths"]
    listing, create = paths["/api/articles"]["get"], paths["/api/articles"]["post"]
    item = paths["/api/articles/{id}"]
    tenant = next(p for p in listing["parameters"] if p["name"] == "o")
    assert tenant["required"] is True and tenant["in"] == "query"
    # The view's own parameter comes after JSON:API's.
    assert [p["name"] for p in listing["parameters"]][-1] == "q"
    assert {"page[size]", "sort", "filter[min_views]"} <= {p["name"] for p in listing["parameters"]}
    assert create["requestBody"]["required"] is True
    assert set(create["requestBody"]["content"]) == {MEDIA_TYPE}
    assert {"201", "400", "401", "403", "406", "409", "413", "415", "422"} <= set(create["responses"])
    assert "200" not in create["responses"]
    assert set(item["delete"]["responses"]) >= {"204", "404"} and "content" not in item["delete"]["responses"]["204"]
    assert set(item["patch"]["responses"]) >= {"200", "404", "409", "415", "422"}


def test_without_a_tenant_parameter_no_tenant_is_documented(calls):
    paths = make_app(calls, tenant_parameter=None)[1].spec.to_dict()["paths"]
    operation = paths["/api/articles"]["get"]
    assert "o" not in {p["name"] for p in operation["parameters"]}
    assert not {"401", "403"} & set(operation["responses"]) and "406" in operation["responses"]
