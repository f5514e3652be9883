"""Tests of flask_broadcasts.api.suppressions.

``/broadcast-suppressions`` in-process: the JSON:API resource, tenancy, and what the preview
and a start make of the list."""

from __future__ import annotations

from flask_broadcasts import get_state
from flask_broadcasts.services.suppressions import suppress
from tests.support.host_fixtures import ORG_A, ORG_B, make_campaign, make_customer

JSONAPI = "application/vnd.api+json"


def _document(**attributes):
    return {"data": {"type": "broadcast-suppressions", "attributes": attributes}}


def test_add_list_filter_and_resubscribe(api, api_b):
    created = api.post("/broadcast-suppressions", _document(channel="mail", address="  Ann.Lee@Example.COM "))
    assert created.status_code == 201, created.get_json()
    data = created.get_json()["data"]
    assert data["attributes"]["address"] == "ann.lee@example.com"
    assert data["attributes"]["reason"] == "manual"
    assert data["attributes"]["source"] == {"kind": "user", "id": None}
    assert created.headers["Location"].endswith(f"/broadcast-suppressions/{data['id']}?o={ORG_A}")

    # Unique per (organization, channel, address), whatever the case.
    duplicate = api.post("/broadcast-suppressions", _document(channel="mail", address="ann.lee@example.com"))
    assert duplicate.status_code == 409
    assert duplicate.get_json()["errors"][0]["code"] == "already_suppressed"
    sms = api.post("/broadcast-suppressions", _document(channel="sms", address="+33 6 12 34 56 78"))
    assert sms.status_code == 201 and sms.get_json()["data"]["attributes"]["address"] == "+33612345678"
    suppress(ORG_A, "mail", "bob@example.com", "unsubscribed", {"kind": "message", "id": 12})

    listed = api.get("/broadcast-suppressions", **{"filter[channel]": "mail", "sort": "address"}).get_json()
    assert [d["attributes"]["address"] for d in listed["data"]] == ["ann.lee@example.com", "bob@example.com"]
    found = api.get("/broadcast-suppressions", **{"filter[address]": "BOB@example.com"}).get_json()["data"]
    assert [(d["attributes"]["reason"], d["attributes"]["source"]) for d in found] == [
        ("unsubscribed", {"kind": "message", "id": "12"})
    ]
    assert len(api.get("/broadcast-suppressions", **{"filter[reason]": "manual"}).get_json()["data"]) == 2
    # Keyset pages: page[after] from links.next.
    first = api.get("/broadcast-suppressions", **{"page[size]": 2}).get_json()
    assert len(first["data"]) == 2 and first["links"]["next"]
    rest = api.get_url(first["links"]["next"]).get_json()
    assert len(rest["data"]) == 1
    assert {d["id"] for d in first["data"]} | {d["id"] for d in rest["data"]} == {
        data["id"],
        sms.get_json()["data"]["id"],
        found[0]["id"],
    }

    # Another organization sees none of it.
    assert api_b.get("/broadcast-suppressions").get_json()["data"] == []
    assert api_b.get(f"/broadcast-suppressions/{data['id']}").status_code == 404
    assert api_b.delete(f"/broadcast-suppressions/{data['id']}").status_code == 404
    # Re-subscribe.
    assert api.delete(f"/broadcast-suppressions/{data['id']}").status_code == 204
    assert api.get(f"/broadcast-suppressions/{data['id']}").status_code == 404
    assert (
        api.post("/broadcast-suppressions", _document(channel="mail", address="ann.lee@example.com")).status_code == 201
    )


def test_invalid_documents_point_at_the_attribute(api):
    cases = [
        (_document(channel="mail", address="not-an-address"), "/data/attributes/address", "invalid_address"),
        (_document(channel="sms", address="0612345678"), "/data/attributes/address", "invalid_address"),
        (_document(channel="fax", address="a@b.c"), "/data/attributes/channel", "invalid_channel"),
        (_document(channel="mail"), "/data/attributes/address", "required"),
        (_document(channel="mail", address="a@b.c", reason="bounced"), "/data/attributes/reason", "invalid_reason"),
    ]
    for document, where, code in cases:
        answer = api.post("/broadcast-suppressions", document)
        assert answer.status_code == 422, answer.get_json()
        assert [(e["source"]["pointer"], e["code"]) for e in answer.get_json()["errors"]] == [(where, code)]
    source = _document(channel="mail", address="a@b.c", source={"kind": "user"})
    refused = api.post("/broadcast-suppressions", source)
    assert refused.status_code == 422
    assert refused.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/source"
    bad_filter = api.get("/broadcast-suppressions", **{"filter[channel]": "fax"})
    assert bad_filter.status_code == 400


def test_the_preview_leaves_suppressed_channels_out(api):
    make_customer(first_name="Ann", email="ann@example.com", mobile="+33612345678")
    make_customer(first_name="Bob", email="bob@example.com", mobile="+33612345679")
    make_customer(first_name="Cid", email="cid@example.com", mobile=None)
    campaign = make_campaign()
    suppress(ORG_A, "mail", "ANN@example.com", "unsubscribed", {"kind": "message", "id": 1})
    suppress(ORG_A, "mail", "cid@example.com", "bounced", {"kind": "provider", "id": "b-1"})
    suppress(ORG_B, "mail", "bob@example.com", "manual", {"kind": "user", "id": None})  # another organization's

    answer = api.get(f"/broadcast-campaigns/{campaign.id}/draft-messages", with_counts="true").get_json()
    drafts = {d["attributes"]["email"]: d["attributes"] for d in answer["data"]}
    assert drafts["ann@example.com"]["channels"] == ["sms"]
    assert drafts["ann@example.com"]["mail_status"] == "suppressed"
    assert drafts["bob@example.com"]["channels"] == ["mail", "sms"]
    assert (drafts["cid@example.com"]["channels"], drafts["cid@example.com"]["error_code"]) == ([], "suppressed")
    assert answer["meta"]["suppressed_count"] == 2 and answer["meta"]["recipient_count"] == 3


def test_an_email_campaign_needs_a_public_url(api, app):
    campaign = make_campaign()
    get_state(app).settings.public_url = None
    refused = api.post(f"/broadcast-campaigns/{campaign.id}/start", None)
    assert refused.status_code == 409
    assert refused.get_json()["errors"][0]["code"] == "public_url_required"
    assert api.get(f"/broadcast-campaigns/{campaign.id}").get_json()["data"]["attributes"]["status"] == "draft"
