"""flask_broadcasts.jsonapi.openapi: the OpenAPI components describe the JSON:API wire
format, and real responses match the schemas the document declares."""

from __future__ import annotations

import pytest
from jsonschema import Draft202012Validator

from tests.support.jsonapi_fixtures import HEADERS, JSONAPI


@pytest.fixture
def spec(client):
    r = client.get("/broadcasts-docs/openapi.json")
    assert r.status_code == 200
    return r.get_json()


def response_schema(spec, path, method, status):
    content = spec["paths"][path][method]["responses"][str(status)]
    if "$ref" in content:
        name = content["$ref"].rsplit("/", 1)[1]
        content = spec["components"]["responses"][name]
    return content["content"][JSONAPI]["schema"]


def validate_against(spec, schema, instance):
    # OpenAPI 3.1 schemas are JSON Schema 2020-12; resolve #/components/... in the document.
    root = {**schema, "components": spec["components"]}
    errors = list(Draft202012Validator(root).iter_errors(instance))
    assert not errors, [e.message for e in errors]


def test_resource_components_describe_the_envelope(spec):
    schemas = spec["components"]["schemas"]
    resource = schemas["ArticleResource"]
    assert resource["properties"]["type"]["enum"] == ["articles"]
    assert set(resource["properties"]["attributes"]["properties"]) == {"title", "body", "views", "created_at"}
    author = resource["properties"]["relationships"]["properties"]["author"]
    linkage = author["properties"]["data"]["anyOf"][0]
    assert linkage["properties"]["type"]["enum"] == ["people"]
    collection = schemas["ArticleCollectionDocument"]["properties"]
    assert collection["data"]["items"] == {"$ref": "#/components/schemas/ArticleResource"}
    assert {"included", "links", "meta"} <= set(collection)
    create = schemas["ArticleCreateDocument"]["properties"]["data"]
    assert create["properties"]["attributes"]["required"] == ["title"]
    assert "created_at" not in create["properties"]["attributes"]["properties"]
    assert schemas["ArticleUpdateDocument"]["properties"]["data"]["required"] == ["type", "id"]
    assert "errors" in schemas["JsonApiErrorDocument"]["properties"]


def test_operations_use_the_jsonapi_media_type_and_parameters(spec):
    get = spec["paths"]["/api/articles"]["get"]
    names = {p["name"]: p for p in get["parameters"]}
    assert names["o"]["required"] is True and names["o"]["in"] == "query"
    assert {
        "include",
        "sort",
        "fields[articles]",
        "fields[people]",
        "fields[teams]",
        "filter[search]",
        "filter[min_views]",
        "page[size]",
        "page[number]",
    } <= set(names)
    assert names["page[size]"]["schema"]["maximum"] == 50
    people = {p["name"] for p in spec["paths"]["/api/people"]["get"]["parameters"]}
    assert "page[after]" in people and "page[number]" not in people
    post = spec["paths"]["/api/articles"]["post"]
    assert list(post["requestBody"]["content"]) == [JSONAPI]
    for operation in (get, post):
        for response in operation["responses"].values():
            if "$ref" in response:
                response = spec["components"]["responses"][response["$ref"].rsplit("/", 1)[1]]
            assert set(response.get("content", {JSONAPI: None})) == {JSONAPI}
    assert "application/json" not in str(spec["paths"]["/api/articles"])


def test_real_responses_match_the_declared_schemas(client, seed, spec):
    doc = client.get("/api/articles?include=author.team,reviewer", headers=HEADERS).get_json()
    validate_against(spec, response_schema(spec, "/api/articles", "get", 200), doc)
    one = client.get("/api/articles/{id}".replace("{id}", "5"), headers=HEADERS).get_json()
    validate_against(spec, response_schema(spec, "/api/articles/{id}", "get", 200), one)
    body = {
        "data": {
            "type": "articles",
            "attributes": {"title": "t", "body": None},
            "relationships": {"author": {"data": {"type": "people", "id": "1"}}},
        }
    }
    request_schema = spec["paths"]["/api/articles"]["post"]["requestBody"]["content"][JSONAPI]
    validate_against(spec, request_schema["schema"], body)
    created = client.post("/api/articles", json=body, headers=HEADERS).get_json()
    validate_against(spec, response_schema(spec, "/api/articles", "post", 201), created)
    error = client.get("/api/articles?sort=nope", headers=HEADERS).get_json()
    validate_against(spec, response_schema(spec, "/api/articles", "get", 400), error)
    missing = client.get("/api/articles/999", headers=HEADERS).get_json()
    validate_against(spec, response_schema(spec, "/api/articles/{id}", "get", 404), missing)


def test_wrong_documents_fail_the_declared_schemas(spec):
    schema = response_schema(spec, "/api/articles", "get", 200)
    flat = {"data": [{"id": "1", "title": "flat marshmallow fields"}]}
    root = {**schema, "components": spec["components"]}
    assert list(Draft202012Validator(root).iter_errors(flat))
