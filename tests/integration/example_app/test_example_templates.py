"""Templates, files and audiences against the example host: schema from the migrations, real sources."""

from __future__ import annotations

import io
import json
import random

import pytest
from sqlalchemy import select

from example_app.extensions import db
from example_app.models import Community
from example_app.seed import seed
from tests.support.example_fixtures import all_ids, app, client, database_uri, migrated_database  # noqa: F401

JSONAPI = "application/vnd.api+json"


@pytest.fixture
def orgs(app):  # noqa: F811
    first, second = seed(30, rng=random.Random(3))["organizations"][:2]
    return first, second


def post(client, path, org, body):  # noqa: F811
    return client.post(
        f"{path}?o={org['id']}",
        data=json.dumps({"data": body}),
        headers={"Authorization": f"Bearer {org['token']}", "Content-Type": JSONAPI, "Accept": JSONAPI},
    )


def test_template_with_attachment_on_the_migrated_schema(client, orgs):  # noqa: F811
    first, second = orgs
    response = post(
        client,
        "/api/broadcast-templates",
        first,
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "March",
                "channels": ["mail", "sms"],
                "subject": "Hello {first_name}!",
                "body": "<p>Hi {full_name}</p>",
                "body_short": "Hi {first_name}",
                "subject_i18n": {"fr": "Salut {first_name}"},
            },
        },
    )
    assert response.status_code == 201, response.get_json()
    template_id = response.get_json()["data"]["id"]
    unknown = post(
        client,
        "/api/broadcast-templates",
        first,
        {
            "type": "broadcast-templates",
            "attributes": {"name": "x", "channels": ["sms"], "body_short": "{booking_date}"},
        },
    )
    assert unknown.status_code == 422  # a customer template cannot use booking variables

    auth = {"Authorization": f"Bearer {first['token']}"}
    pdf = b"%PDF-1.4\n" + b"z" * 1000
    upload = client.post(
        f"/api/broadcast-templates/{template_id}/files?o={first['id']}",
        headers=auth,
        data={"file": (io.BytesIO(pdf), "plan.pdf", "application/pdf")},
    )
    assert upload.status_code == 201, upload.get_json()
    download_url = upload.get_json()["data"]["meta"]["download_url"]
    assert client.get(download_url, headers=auth).data == pdf
    stranger = {"Authorization": f"Bearer {second['token']}"}
    assert client.get(f"/api/broadcast-templates/{template_id}?o={second['id']}", headers=stranger).status_code == 404


def test_audience_counts_match_the_host_endpoints(client, orgs):  # noqa: F811
    first, second = orgs
    for audience_type, filters in (("customers", {"status": "active"}), ("customers", {}), ("bookings", {})):
        response = post(
            client,
            "/api/broadcast-audiences",
            first,
            {
                "type": "broadcast-audiences",
                "attributes": {"name": "a", "audience_type": audience_type, "filters": filters},
            },
        )
        assert response.status_code == 201, response.get_json()
        expected = all_ids(client, f"/api/{audience_type}", first["id"], first["token"], filters)
        assert response.get_json()["data"]["meta"]["member_count"] == len(expected)

    community = db.session.scalar(select(Community).where(Community.organization_id == first["id"]))
    body = {
        "type": "broadcast-audiences",
        "attributes": {"name": "club", "audience_type": "community"},
        "relationships": {"community": {"data": {"type": "communities", "id": str(community.id)}}},
    }
    response = post(client, "/api/broadcast-audiences", first, body)
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["meta"]["member_count"] == len(community.members)
    assert post(client, "/api/broadcast-audiences", second, body).status_code == 404
    bad = post(
        client,
        "/api/broadcast-audiences",
        first,
        {
            "type": "broadcast-audiences",
            "attributes": {
                "name": "a",
                "audience_type": "bookings",
                "filters": {"date_from": "2026-05-01", "date_to": "2026-04-01"},
            },
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/filters/date_to"
