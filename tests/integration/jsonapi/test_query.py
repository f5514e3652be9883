"""flask_broadcasts.jsonapi.query: ``include``, ``fields`` and ``filter`` parsed against a
resource's spec; anything unknown is a 400 with its parameter."""

from __future__ import annotations

import pytest

from tests.support.jsonapi_fixtures import HEADERS


def get(client, url):
    r = client.get(url, headers=HEADERS)
    return r, r.get_json()


def test_dotted_include_gives_full_linkage_without_duplicates(client, seed):
    r, doc = get(client, "/api/articles?include=author.team")
    assert r.status_code == 200
    keys = [(i["type"], i["id"]) for i in doc["included"]]
    assert len(keys) == len(set(keys))  # ann wrote two articles, red has two people
    assert sorted(keys) == [("people", "1"), ("people", "2"), ("people", "3"), ("teams", "1"), ("teams", "2")]
    # Full linkage: every included resource is reachable from primary data.
    linked = {(a["relationships"]["author"]["data"] or {}).get("id") for a in doc["data"]}
    assert {"1", "2", "3"} <= linked
    people = [i for i in doc["included"] if i["type"] == "people"]
    assert all(p["relationships"]["team"]["data"]["type"] == "teams" for p in people)


def test_external_include_linkage_and_dedup(client, seed):
    r, doc = get(client, "/api/articles?include=reviewer,author")
    customers = [i for i in doc["included"] if i["type"] == "customers"]
    assert customers == [{"type": "customers", "id": "c1", "attributes": {"email": "a@x", "name": "Ada"}}]
    assert all(a["relationships"]["reviewer"]["data"] == {"type": "customers", "id": "c1"} for a in doc["data"])


def test_include_on_single_resource_with_resource_meta(client, seed):
    r, doc = get(client, "/api/articles/1?include=author")
    assert doc["included"][0]["type"] == "people"
    assert doc["data"]["meta"] == {"words": 2}
    assert doc["links"]["self"].endswith("/api/articles/1?include=author")


@pytest.mark.parametrize("include", ["editor", "author.boss", "title"])
def test_unknown_include_is_400(client, seed, include):
    r, doc = get(client, f"/api/articles?include={include}")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "include"}


def test_sparse_fieldsets_on_primary_and_included(client, seed):
    r, doc = get(client, "/api/articles?include=author&fields[articles]=title,author&fields[people]=name")
    assert r.status_code == 200
    for article in doc["data"]:
        assert set(article["attributes"]) == {"title"}
        assert set(article["relationships"]) == {"author"}
    for person in doc["included"]:
        assert set(person["attributes"]) == {"name"} and "relationships" not in person


def test_sparse_fieldset_unknown_field_is_400(client, seed):
    r, doc = get(client, "/api/articles?fields[articles]=title,colour")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "fields[articles]"}


def test_sort_ascending_descending_and_lists(client, seed):
    _, doc = get(client, "/api/articles?sort=title")
    assert [a["attributes"]["title"] for a in doc["data"]] == ["alpha", "bravo", "charlie", "delta", "echo"]
    _, doc = get(client, "/api/articles?sort=-views")
    assert [a["attributes"]["views"] for a in doc["data"]] == [40, 30, 20, 10, 0]
    _, doc = get(client, "/api/articles?sort=-created_at,title")
    assert doc["data"][0]["attributes"]["title"] == "echo"


@pytest.mark.parametrize("sort", ["colour", "-body", "title,title"])
def test_bad_sort_is_400(client, seed, sort):
    r, doc = get(client, f"/api/articles?sort={sort}")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "sort"}


def test_filters(client, seed):
    _, doc = get(client, "/api/articles?filter[min_views]=25")
    assert [a["attributes"]["views"] for a in doc["data"]] == [30, 40]
    assert doc["meta"]["total"] == 2
    _, doc = get(client, "/api/articles?filter[search]=ha&filter[min_views]=0")
    assert [a["attributes"]["title"] for a in doc["data"]] == ["alpha", "charlie"]


def test_unknown_filter_is_400(client, seed):
    r, doc = get(client, "/api/articles?filter[colour]=red")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "filter[colour]"}


@pytest.mark.parametrize("value", ["abc", "-3"])
def test_bad_filter_value_is_400(client, seed, value):
    r, doc = get(client, f"/api/articles?filter[min_views]={value}")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "filter[min_views]"}


def test_bare_filter_parameter_is_400(client, seed):
    r, doc = get(client, "/api/articles?filter=x")
    assert r.status_code == 400
    assert doc["errors"][0]["source"] == {"parameter": "filter"}


def test_tenant_and_other_parameters_are_left_alone(client, seed):
    r, _ = get(client, "/api/articles?o=42")
    assert r.status_code == 200
