"""flask_broadcasts.jsonapi.render: the documents the API answers with.

A client relies on each resource appearing once in a compound document (never twice in
``included``, never both as primary data and included), on sparse fieldsets applying to the
included resources too, on the ``Location`` and ``links.self`` of a created resource being its
own URL, and on a delete answering an empty 204."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from flask import Flask

from flask_broadcasts.jsonapi import (
    MEDIA_TYPE,
    ResourceQuery,
    build_document,
    no_content,
    render_resource,
)
from tests.support.toy_jsonapi import ARTICLE, ArticleSchema


@pytest.fixture
def request_context():
    app = Flask("render")
    with app.test_request_context("/api/articles?include=author&o=1"):
        yield


def _person(id, name, team=None):
    return SimpleNamespace(id=id, name=name, created_at=None, team=team)


def _article(id, title, author, body="a b c"):
    return SimpleNamespace(id=id, title=title, body=body, views=0, created_at=None, author=author)


def test_each_resource_appears_once(request_context):
    ann = _person(1, "ann")
    articles = [_article(1, "alpha", ann), _article(2, "bravo", ann)]
    # The host hands an included resource that is already there, and one that is primary data.
    extra = [{"type": "people", "id": 1, "attributes": {"name": "ann"}}, {"type": "articles", "id": "2"}]
    document = build_document(articles, ResourceQuery(ARTICLE, include=("author",)), many=True, included=extra)
    assert [(r["type"], r["id"]) for r in document["included"]] == [("people", "1")]
    assert [r["id"] for r in document["data"]] == ["1", "2"]
    assert document["links"] == {"self": "http://localhost/api/articles?include=author&o=1"}
    assert document["jsonapi"] == {"version": "1.0"}


def test_sparse_fieldsets_apply_to_included_resources(request_context):
    team = SimpleNamespace(id=3, name="red")
    query = ResourceQuery(
        ARTICLE,
        include=("author", "author.team"),
        fields={"articles": frozenset({"title"}), "people": frozenset({"team"}), "teams": frozenset()},
    )
    document = build_document(_article(1, "alpha", _person(1, "ann", team)), query)
    assert document["data"]["attributes"] == {"title": "alpha"} and "relationships" not in document["data"]
    included = {r["type"]: r for r in document["included"]}
    assert "attributes" not in included["people"]
    assert included["people"]["relationships"]["team"]["data"] == {"type": "teams", "id": "3"}
    assert included["teams"] == {"type": "teams", "id": "3"}


def test_meta_linkage_and_external_includes(request_context):
    query = ResourceQuery(ARTICLE, include=("reviewer",))
    document = build_document(
        [_article(5, "echo", None, body="one two")],
        query,
        many=True,
        meta={"generated": True},
        resource_meta=lambda a: {"words": len(a.body.split())},
        linkage={5: {"editor": {"type": "people", "id": "9"}}},
    )
    (article,) = document["data"]
    assert article["meta"] == {"words": 2}
    assert article["relationships"]["reviewer"] == {"data": {"type": "customers", "id": "c1"}}
    assert article["relationships"]["editor"] == {"data": {"type": "people", "id": "9"}}
    assert document["included"] == [{"type": "customers", "id": "c1", "attributes": {"name": "Ada", "email": "a@x"}}]
    assert document["meta"] == {"generated": True}


def test_a_created_resource_is_answered_at_its_own_url(request_context):
    location = "http://localhost/api/articles/8?o=1"
    response = render_resource(_article(8, "new", None), ArticleSchema, status=201, location=location)
    assert response.status_code == 201 and response.mimetype == MEDIA_TYPE
    assert response.headers["Location"] == location
    document = response.get_json()
    assert document["links"] == {"self": location} and document["data"]["id"] == "8"
    assert "included" not in document

    deleted = no_content()
    assert deleted.status_code == 204 and deleted.get_data() == b""
