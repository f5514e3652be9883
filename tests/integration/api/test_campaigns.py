"""Tests of flask_broadcasts.api.campaigns.

``/broadcast-campaigns`` over HTTP (every response is checked against the JSON:API schema)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastCampaign, BroadcastFile
from flask_broadcasts.statuses import CampaignStatus
from tests.support.host_fixtures import ORG_B, T0, add, db, make_audience, make_campaign, make_template


def document(template, audience, **attributes):
    return {
        "data": {
            "type": "broadcast-campaigns",
            "attributes": {"name": "March 2026 Newsletter", **attributes},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": str(template.id)}},
                "audience": {"data": {"type": "broadcast-audiences", "id": str(audience.id)}},
            },
        }
    }


def error_pointers(response):
    return {e["source"]["pointer"] for e in response.get_json()["errors"] if "pointer" in e.get("source", {})}


def test_create_and_fetch(api):
    template, audience = make_template(), make_audience()
    response = api.post(
        "/broadcast-campaigns",
        document(
            template,
            audience,
            scheduled_at="2026-04-01T09:00:00Z",
            recurring=True,
            cron="0 9 * * 1",
        ),
    )
    assert response.status_code == 201, response.get_json()
    data = response.get_json()["data"]
    # Where the new campaign is: its own URL, not the collection's.
    location = f"http://localhost/api/broadcast-campaigns/{data['id']}?o=org-a"
    assert response.headers["Location"] == response.get_json()["links"]["self"] == location
    assert data["attributes"]["status"] == "draft" and data["attributes"]["cron"] == "0 9 * * 1"
    assert data["attributes"]["timezone"] == "UTC" and data["attributes"]["sent_count"] == 0
    assert data["relationships"]["template"]["data"] == {"type": "broadcast-templates", "id": str(template.id)}
    fetched = api.get(f"/broadcast-campaigns/{data['id']}", include="template,audience").get_json()
    assert {(r["type"], r["id"]) for r in fetched["included"]} == {
        ("broadcast-templates", str(template.id)),
        ("broadcast-audiences", str(audience.id)),
    }


@pytest.mark.parametrize(
    ("attributes", "pointer"),
    [
        ({"name": ""}, "/data/attributes/name"),
        ({"scheduled_at": "2026-04-01T09:00:00"}, "/data/attributes/scheduled_at"),
        ({"scheduled_at": "tomorrow"}, "/data/attributes/scheduled_at"),
        ({"recurring": True}, "/data/attributes/cron"),
        ({"recurring": True, "cron": "0 9 * * 1 2026"}, "/data/attributes/cron"),
        ({"timezone": "Europe/Atlantis"}, "/data/attributes/timezone"),
        ({"status": "completed"}, "/data/attributes/status"),
        ({"sent_count": 5}, "/data/attributes/sent_count"),
    ],
)
def test_validation_errors_point_at_the_attribute(api, attributes, pointer):
    response = api.post("/broadcast-campaigns", document(make_template(), make_audience(), **attributes))
    assert response.status_code == 422
    assert pointer in error_pointers(response)


def test_missing_name_and_relationships(api):
    response = api.post("/broadcast-campaigns", {"data": {"type": "broadcast-campaigns", "attributes": {}}})
    assert response.status_code == 422
    assert error_pointers(response) == {
        "/data/attributes/name",
        "/data/relationships/template/data",
        "/data/relationships/audience/data",
    }


def test_binding_mismatch_is_422(api):
    response = api.post("/broadcast-campaigns", document(make_template(binding_type="booking"), make_audience()))
    assert response.status_code == 422
    assert error_pointers(response) == {"/data/relationships/audience"}


def test_relationship_of_other_organization_is_404(api):
    response = api.post("/broadcast-campaigns", document(make_template(ORG_B), make_audience()))
    assert response.status_code == 404
    (error,) = response.get_json()["errors"]
    assert (error["code"], error["source"]) == ("not_found", {"pointer": "/data/relationships/template/data"})


def test_every_bad_reference_is_reported_in_one_answer(api):
    other_template, other_audience = make_template(ORG_B), make_audience(ORG_B)
    both = api.post("/broadcast-campaigns", document(other_template, other_audience))
    assert both.status_code == 404
    assert {(e["status"], e["code"], e["source"]["pointer"]) for e in both.get_json()["errors"]} == {
        ("404", "not_found", "/data/relationships/template/data"),
        ("404", "not_found", "/data/relationships/audience/data"),
    }
    # With invalid values too: 400, each problem with its own status.
    mixed = api.post("/broadcast-campaigns", document(other_template, make_audience(), name=""))
    assert mixed.status_code == 400
    assert {(e["status"], e["source"]["pointer"]) for e in mixed.get_json()["errors"]} == {
        ("422", "/data/attributes/name"),
        ("404", "/data/relationships/template/data"),
    }
    campaign = make_campaign()
    patched = api.patch(
        f"/broadcast-campaigns/{campaign.id}",
        {
            "data": {
                "type": "broadcast-campaigns",
                "id": str(campaign.id),
                "relationships": document(other_template, other_audience)["data"]["relationships"],
            }
        },
    )
    assert patched.status_code == 404
    assert {e["source"]["pointer"] for e in patched.get_json()["errors"]} == {
        "/data/relationships/template/data",
        "/data/relationships/audience/data",
    }


def test_list_search_sort_include_files(api):
    template = make_template()
    add(
        BroadcastFile(
            organization_id="org-a",
            template_id=template.id,
            filename="a.pdf",
            content_type="application/pdf",
            size=3,
            storage_key="k1",
        )
    )
    for i, name in enumerate(["beta", "Alpha", "gamma news"]):
        make_campaign(name=name, template=template, created_at=T0 + timedelta(minutes=i))
    make_campaign(ORG_B, name="beta other")

    names = lambda r: [d["attributes"]["name"] for d in r.get_json()["data"]]  # noqa: E731
    assert names(api.get("/broadcast-campaigns")) == ["gamma news", "Alpha", "beta"]
    assert names(api.get("/broadcast-campaigns", sort="created_at")) == ["beta", "Alpha", "gamma news"]
    assert names(api.get("/broadcast-campaigns", sort="-name")) == ["gamma news", "beta", "Alpha"]
    assert names(api.get("/broadcast-campaigns", **{"filter[search]": "BET"})) == ["beta"]
    body = api.get("/broadcast-campaigns", include="template.files,audience").get_json()
    types = sorted(r["type"] for r in body["included"])
    assert types == ["broadcast-audiences"] * 3 + ["broadcast-files", "broadcast-templates"]
    assert body["meta"]["total"] == 3
    assert api.get("/broadcast-campaigns", sort="status").status_code == 400
    assert api.get("/broadcast-campaigns", include="runs").status_code == 400


def test_patch_and_delete_draft(api):
    campaign = make_campaign()
    response = api.patch(
        f"/broadcast-campaigns/{campaign.id}",
        {
            "data": {
                "type": "broadcast-campaigns",
                "id": str(campaign.id),
                "attributes": {"name": "April", "timezone": None},
            },
        },
    )
    assert response.status_code == 200 and response.get_json()["data"]["attributes"]["name"] == "April"
    assert api.delete(f"/broadcast-campaigns/{campaign.id}").status_code == 204
    assert api.get(f"/broadcast-campaigns/{campaign.id}").status_code == 404


@pytest.mark.parametrize("status", [CampaignStatus.SCHEDULED, CampaignStatus.IN_PROGRESS, CampaignStatus.COMPLETED])
def test_non_draft_edit_or_delete_is_409(api, status):
    campaign = make_campaign()
    db.session.execute(sa.update(BroadcastCampaign).values(status=status.value))
    db.session.commit()
    response = api.patch(
        f"/broadcast-campaigns/{campaign.id}",
        {
            "data": {"type": "broadcast-campaigns", "id": str(campaign.id), "attributes": {"name": "x"}},
        },
    )
    assert response.status_code == 409
    assert "only a draft" in response.get_json()["errors"][0]["detail"]
    assert api.delete(f"/broadcast-campaigns/{campaign.id}").status_code == 409


def test_organizations_are_isolated(api, api_b):
    campaign = make_campaign()
    assert api_b.get(f"/broadcast-campaigns/{campaign.id}").status_code == 404
    assert api_b.delete(f"/broadcast-campaigns/{campaign.id}").status_code == 404
    assert api_b.get("/broadcast-campaigns").get_json()["data"] == []
    assert api.get("/broadcast-campaigns", o="org-b").status_code == 403
