"""Tests of flask_broadcasts.api.templates (here, not in tests/integration/api/: its file downloads
are bytes, which that folder's check of every /api answer refuses).

``/broadcast-templates`` and template files over HTTP (responses checked against the JSON:API schema)."""

from __future__ import annotations

import io
import json

import pytest

from tests.support.host_fixtures import OTHER_ORG, headers

URL = "/api/broadcast-templates"
PDF = b"%PDF-1.7\n" + b"x" * 50
FULL = {
    "name": "March Newsletter",
    "subject": "Hello {first_name}!",
    "body": "<p>Hi {first_name}, here's your monthly update...</p>",
    "body_short": "Hi {first_name}, check your monthly update.",
    "action_label": "View Details",
    "action_url": "https://example.com/updates",
    "channels": ["mail", "sms"],
    "is_template": True,
    "binding_type": "customer",
    "subject_i18n": {"fr": "Bonjour {first_name} !"},
    "body_i18n": {"fr": "<p>Salut</p>", "de-AT": "<p>Servus</p>"},
    "body_short_i18n": {"fr": "Salut"},
    "action_label_i18n": {"fr": "Voir"},
}


def doc(attributes, id=None):
    data = {"type": "broadcast-templates", "attributes": attributes}
    if id is not None:
        data["id"] = str(id)
    return json.dumps({"data": data})


def create(client, attributes=None, org="1", token="alice"):
    response = client.post(f"{URL}?o={org}", headers=headers(token), data=doc(attributes or FULL))
    assert response.status_code == 201, response.json
    return response.json["data"]


def pointers(response):
    return {e["source"]["pointer"]: e.get("code") for e in response.json["errors"]}


def upload(
    client, template_id, data=PDF, filename="brochure.pdf", content_type="application/pdf", org="1", token="alice"
):
    return client.post(
        f"{URL}/{template_id}/files?o={org}",
        headers={"Authorization": f"Bearer {token}"},
        data={"file": (io.BytesIO(data), filename, content_type)},
        content_type="multipart/form-data",
    )


def test_a_201_says_where_the_new_resource_is(client):
    """``Location`` and ``links.self`` of every create are the new resource's URL, which serves it."""
    audience = {"data": {"type": "broadcast-audiences", "attributes": {"name": "A", "audience_type": "customers"}}}
    answers = {
        "broadcast-templates": client.post(f"{URL}?o=1", headers=headers(), data=doc(FULL)),
        "broadcast-audiences": client.post(
            "/api/broadcast-audiences?o=1", headers=headers(), data=json.dumps(audience)
        ),
    }
    answers["broadcast-files"] = upload(client, answers["broadcast-templates"].json["data"]["id"])
    for type_, response in answers.items():
        assert response.status_code == 201, response.json
        new = response.json["data"]
        assert response.headers["Location"] == f"http://localhost/api/{type_}/{new['id']}?o=1"
        assert response.json["links"]["self"] == response.headers["Location"]
        fetched = client.get(response.headers["Location"], headers=headers())
        assert fetched.status_code == 200 and fetched.json["data"]["id"] == new["id"]
        assert fetched.json["links"]["self"] == response.headers["Location"]


def test_every_attribute_round_trips(client):
    created = create(client)
    fetched = client.get(f"{URL}/{created['id']}?o=1", headers=headers()).json["data"]
    for name, value in FULL.items():
        assert created["attributes"][name] == value, name
        assert fetched["attributes"][name] == value, name
    assert fetched["relationships"]["files"] == {"data": []}
    assert {"created_at", "updated_at"} <= set(fetched["attributes"])


def test_null_clears_optional_attributes(client):
    created = create(client)
    response = client.patch(
        f"{URL}/{created['id']}?o=1",
        headers=headers(),
        data=doc(
            {"action_label": None, "action_url": None, "body_i18n": None, "channels": ["mail"], "body_short": None},
            id=created["id"],
        ),
    )
    assert response.status_code == 200, response.json
    attributes = response.json["data"]["attributes"]
    assert (attributes["action_label"], attributes["body_i18n"], attributes["body_short"]) == (None, {}, None)
    assert attributes["name"] == "March Newsletter"


def test_all_validation_errors_in_one_response(client):
    response = client.post(
        f"{URL}?o=1",
        headers=headers(),
        data=doc(
            {
                "name": 5,
                "channels": ["mail", "fax"],
                "subject": "Hi {nope}",
                "body": "b",
                "is_template": "yes",
                "action_url": "javascript:alert(1)",
                "subject_i18n": {"fr": "Salut {nope}", "klingon-x": "x"},
            }
        ),
    )
    assert response.status_code == 422
    assert pointers(response) == {
        "/data/attributes/name": "invalid_type",
        "/data/attributes/channels": "invalid_channel",
        "/data/attributes/is_template": "invalid_type",
        "/data/attributes/action_url": "invalid_url",
        "/data/attributes/subject_i18n/klingon-x": "invalid_locale",
        "/data/attributes/subject": "unknown_variable",
        "/data/attributes/subject_i18n/fr": "unknown_variable",
    }
    assert all(e["status"] == "422" for e in response.json["errors"])


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"channels": ["sms"], "body_short": "x"}, "name"),
        ({"name": "n"}, "channels"),
        ({"name": "n", "channels": ["mail"], "body": "b"}, "subject"),
        ({"name": "n", "channels": ["sms"]}, "body_short"),
        ({"name": "n", "channels": ["sms"], "body_short": "x", "binding_type": "robot"}, "binding_type"),
        ({"name": "n", "channels": ["sms"], "body_short": "x", "subject": "a\r\nBcc: x"}, "subject"),
        ({"name": "n", "channels": ["sms"], "body_short": "x", "colour": "red"}, "colour"),
    ],
)
def test_single_errors_over_http(client, attributes, pointer):
    response = client.post(f"{URL}?o=1", headers=headers(), data=doc(attributes))
    assert response.status_code == 422
    assert list(pointers(response)) == [f"/data/attributes/{pointer}"]


def test_wrong_type_is_409_and_id_mismatch_is_409(client):
    created = create(client)
    wrong_type = json.dumps({"data": {"type": "broadcast-audiences", "attributes": FULL}})
    assert client.post(f"{URL}?o=1", headers=headers(), data=wrong_type).status_code == 409
    response = client.patch(f"{URL}/{created['id']}?o=1", headers=headers(), data=doc({"name": "x"}, id=999))
    assert response.status_code == 409


def test_organizations_are_isolated(client):
    mine = create(client)
    url = f"{URL}/{mine['id']}?o={OTHER_ORG}"
    assert client.get(url, headers=headers("eve")).status_code == 404
    patch = client.patch(url, headers=headers("eve"), data=doc({"name": "stolen"}, id=mine["id"]))
    assert patch.status_code == 404
    assert client.delete(url, headers=headers("eve")).status_code == 404
    assert upload(client, mine["id"], org=OTHER_ORG, token="eve").status_code == 404
    assert client.get(f"{URL}?o={OTHER_ORG}", headers=headers("eve")).json["data"] == []
    # alice may not read org 2 at all, eve not org 1
    assert client.get(f"{URL}?o={OTHER_ORG}", headers=headers("alice")).status_code == 403
    assert client.get(f"{URL}/{mine['id']}?o=1", headers=headers()).json["data"]["attributes"]["name"] == FULL["name"]


def test_unauthenticated(client):
    assert client.get(f"{URL}?o=1", headers={"Accept": "application/vnd.api+json"}).status_code == 401
    assert upload(client, 1, token="nobody").status_code == 401


def test_list_filters_sort_and_fieldsets(client):
    create(client, {**FULL, "name": "March Newsletter", "is_template": True})
    create(client, {**FULL, "name": "april promo", "is_template": False, "binding_type": "booking"})
    create(client, {**FULL, "name": "Zebra"}, org=OTHER_ORG, token="eve")

    def names(query):
        response = client.get(f"{URL}?o=1&{query}", headers=headers())
        assert response.status_code == 200, response.json
        return [t["attributes"]["name"] for t in response.json["data"]]

    assert names("sort=name") == ["March Newsletter", "april promo"]  # SQL collation: upper case first
    assert names("sort=-created_at") == ["april promo", "March Newsletter"]
    assert names("filter[search]=MARCH") == ["March Newsletter"]
    assert names("filter[binding_type]=booking") == ["april promo"]
    assert names("filter[is_template]=true") == ["March Newsletter"]
    assert names("filter[is_template]=false") == ["april promo"]
    response = client.get(f"{URL}?o=1&fields[broadcast-templates]=name,channels", headers=headers())
    assert all(set(t["attributes"]) == {"name", "channels"} for t in response.json["data"])
    assert response.json["meta"]["total"] == 2
    for bad in ("filter[colour]=red", "sort=subject", "include=campaigns", "filter[is_template]=maybe"):
        assert client.get(f"{URL}?o=1&{bad}", headers=headers()).status_code == 400, bad


def test_delete(client):
    created = create(client)
    assert client.delete(f"{URL}/{created['id']}?o=1", headers=headers()).status_code == 204
    assert client.get(f"{URL}/{created['id']}?o=1", headers=headers()).status_code == 404


# -- files --------------------------------------------------------------------------------


def test_upload_include_download_delete(client):
    template = create(client)
    response = upload(client, template["id"], filename="../Prospectus été.pdf")
    assert response.status_code == 201, response.json
    assert response.content_type == "application/vnd.api+json"
    file = response.json["data"]
    assert file["type"] == "broadcast-files"
    assert file["attributes"] | {"created_at": None} == {
        "filename": "Prospectus été.pdf",
        "content_type": "application/pdf",
        "size": len(PDF),
        "created_at": None,
    }
    assert file["relationships"]["template"]["data"] == {"type": "broadcast-templates", "id": template["id"]}

    fetched = client.get(f"{URL}/{template['id']}?o=1&include=files", headers=headers()).json
    assert fetched["data"]["relationships"]["files"]["data"] == [{"type": "broadcast-files", "id": file["id"]}]
    assert [r["id"] for r in fetched["included"]] == [file["id"]]
    listed = client.get(f"{URL}?o=1&include=files", headers=headers()).json
    assert [r["type"] for r in listed["included"]] == ["broadcast-files"]

    resource = client.get(f"/api/broadcast-files/{file['id']}?o=1", headers=headers()).json["data"]
    download = client.get(resource["meta"]["download_url"], headers={"Authorization": "Bearer alice"})
    assert download.status_code == 200 and download.data == PDF
    assert download.mimetype == "application/pdf"
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert download.headers["X-Content-Type-Options"] == "nosniff"

    assert client.delete(f"/api/broadcast-files/{file['id']}?o=1", headers=headers()).status_code == 204
    assert client.get(resource["meta"]["download_url"], headers={"Authorization": "Bearer alice"}).status_code == 404


def test_files_of_another_organization(client):
    template = create(client)
    file = upload(client, template["id"]).json["data"]
    eve = {"Authorization": "Bearer eve"}
    assert client.get(f"/api/broadcast-files/{file['id']}?o={OTHER_ORG}", headers=headers("eve")).status_code == 404
    assert client.get(f"/api/broadcast-files/{file['id']}/content?o={OTHER_ORG}", headers=eve).status_code == 404
    assert client.delete(f"/api/broadcast-files/{file['id']}?o={OTHER_ORG}", headers=headers("eve")).status_code == 404
    assert client.get(f"/api/broadcast-files/{file['id']}/content?o=1", headers=eve).status_code == 403
    assert client.get(f"/api/broadcast-files/{file['id']}/content?o=1").status_code == 401


def test_file_limits(app, client):
    template = create(client)
    app.config["BROADCASTS_MAX_FILE_SIZE"] = 0  # settings are read once: this changes nothing
    from flask_broadcasts.state import get_state

    get_state().settings.max_file_size = 100
    too_big = upload(client, template["id"], data=b"%PDF-" + b"x" * 200)
    assert too_big.status_code == 413 and too_big.json["errors"][0]["code"] == "file_too_large"
    way_too_big = upload(client, template["id"], data=b"%PDF-" + b"x" * 200_000)
    assert way_too_big.status_code == 413
    html = upload(client, template["id"], data=b"<script>", filename="a.html", content_type="text/html")
    assert html.status_code == 422 and "allowed" in html.json["errors"][0]["detail"]
    disguised = upload(client, template["id"], data=b"<html>", filename="a.png", content_type="image/png")
    assert disguised.status_code == 422 and disguised.json["errors"][0]["code"] == "file_content_mismatch"
    no_part = client.post(
        f"{URL}/{template['id']}/files?o=1",
        headers={"Authorization": "Bearer alice"},
        data={"other": "x"},
        content_type="multipart/form-data",
    )
    assert no_part.status_code == 400
    json_body = client.post(f"{URL}/{template['id']}/files?o=1", headers=headers(), data="{}")
    assert json_body.status_code == 400


def test_openapi_documents_the_resources(client):
    spec = client.get("/api/broadcasts-docs/openapi.json").json
    assert {
        "/api/broadcast-templates",
        "/api/broadcast-templates/{id}",
        "/api/broadcast-audiences",
        "/api/broadcast-audiences/{id}",
        "/api/broadcast-files/{id}",
    } <= set(spec["paths"])
