"""Tests of flask_broadcasts.api.audiences.

``/broadcast-audiences`` over HTTP (responses checked against the JSON:API schema)."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from flask_broadcasts.state import get_state
from tests.support import host_fixtures
from tests.support.host_fixtures import ORG, OTHER_ORG, Community, Customer, community_members, headers

# This file's client checks every answer under /api (file bytes and the OpenAPI document aside).
client, validate_responses = host_fixtures.client, host_fixtures.validate_responses

URL = "/api/broadcast-audiences"


@pytest.fixture
def communities(app):
    session = get_state().session
    ada = Customer(organization_id=ORG, first_name="Ada", status="active")
    bob = Customer(organization_id=ORG, first_name="Bob", status="inactive")
    club = Community(organization_id=ORG, name="club")
    other = Community(organization_id=OTHER_ORG, name="other")
    session.add_all([ada, bob, club, other])
    session.flush()
    session.execute(community_members.insert(), [{"community_id": club.id, "customer_id": ada.id}])
    session.commit()
    return {"club": str(club.id), "other": str(other.id)}


def doc(attributes, community=None, id=None):
    data = {"type": "broadcast-audiences", "attributes": attributes}
    if community is not None:
        data["relationships"] = {"community": {"data": community and {"type": "communities", "id": community}}}
    if id is not None:
        data["id"] = str(id)
    return json.dumps({"data": data})


def create(client, attributes, community=None, org="1", token="alice"):
    response = client.post(f"{URL}?o={org}", headers=headers(token), data=doc(attributes, community))
    assert response.status_code == 201, response.json
    return response.json["data"]


def pointers(response):
    return {e["source"]["pointer"]: e.get("code") for e in response.json["errors"]}


def test_round_trip_with_member_count(client, communities):
    attributes = {
        "name": "Active Customers 2026",
        "audience_type": "customers",
        "filters": {"status": "active"},
        "is_template": True,
    }
    created = create(client, attributes)
    fetched = client.get(f"{URL}/{created['id']}?o=1", headers=headers()).json["data"]
    for resource in (created, fetched):
        assert {k: resource["attributes"][k] for k in attributes} == attributes
        assert resource["meta"] == {"member_count": 1}
        assert resource["relationships"]["community"] == {"data": None}


def test_bookings_filters_round_trip(client):
    filters = {"status": "accepted", "date_from": "2026-04-01"}
    created = create(client, {"name": "Upcoming", "audience_type": "bookings", "filters": filters})
    assert created["attributes"]["filters"] == filters and created["meta"]["member_count"] == 0


def test_community_audience_and_include(client, communities):
    created = create(client, {"name": "Club", "audience_type": "community"}, community=communities["club"])
    assert created["relationships"]["community"]["data"] == {"type": "communities", "id": communities["club"]}
    assert created["meta"]["member_count"] == 1
    fetched = client.get(f"{URL}/{created['id']}?o=1&include=community", headers=headers()).json
    assert fetched["included"] == [{"type": "communities", "id": communities["club"], "attributes": {"name": "club"}}]
    listed = client.get(f"{URL}?o=1&include=community&fields[communities]=name", headers=headers()).json
    assert [r["id"] for r in listed["included"]] == [communities["club"]]


@pytest.mark.parametrize(
    ("attributes", "community", "status", "expected"),
    [
        ({"audience_type": "customers"}, None, 422, {"/data/attributes/name": "required"}),
        ({"name": "x"}, None, 422, {"/data/attributes/audience_type": "required"}),
        (
            {"name": "x", "audience_type": "robots"},
            None,
            422,
            {"/data/attributes/audience_type": "invalid_audience_type"},
        ),
        (
            {"name": "x", "audience_type": "customers", "filters": {"colour": "red"}},
            None,
            422,
            {"/data/attributes/filters/colour": "unknown_filter"},
        ),
        (
            {"name": "x", "audience_type": "bookings", "filters": {"date_from": "soon", "status": "x"}},
            None,
            422,
            {
                "/data/attributes/filters/date_from": "invalid_filter",
                "/data/attributes/filters/status": "invalid_filter",
            },
        ),
        (
            {"name": 3, "audience_type": "customers", "is_template": "no"},
            None,
            422,
            {"/data/attributes/name": "invalid_type", "/data/attributes/is_template": "invalid_type"},
        ),
        ({"name": "x", "audience_type": "community"}, None, 422, {"/data/relationships/community": "required"}),
        ({"name": "x", "audience_type": "customers"}, "club", 422, {"/data/relationships/community": "not_allowed"}),
        (
            {"name": "x", "audience_type": "community"},
            "other",
            404,
            {"/data/relationships/community/data": "not_found"},
        ),
        ({"name": "x", "audience_type": "community"}, "999", 404, {"/data/relationships/community/data": "not_found"}),
        # Every problem in one answer: 400, each error with its own status.
        (
            {"audience_type": "community"},
            "999",
            400,
            {"/data/attributes/name": "required", "/data/relationships/community/data": "not_found"},
        ),
    ],
)
def test_validation_errors(client, communities, attributes, community, status, expected):
    community = communities.get(community, community)
    response = client.post(f"{URL}?o=1", headers=headers(), data=doc(attributes, community))
    assert response.status_code == status
    assert pointers(response) == expected


def test_relationship_of_wrong_type_is_refused(client, communities):
    body = {
        "data": {
            "type": "broadcast-audiences",
            "attributes": {"name": "x", "audience_type": "community"},
            "relationships": {"community": {"data": {"type": "customers", "id": communities["club"]}}},
        }
    }
    response = client.post(f"{URL}?o=1", headers=headers(), data=json.dumps(body))
    assert response.status_code in (409, 422)


def test_update_and_delete(client, communities):
    created = create(client, {"name": "A", "audience_type": "customers"})
    url = f"{URL}/{created['id']}?o=1"
    response = client.patch(
        url,
        headers=headers(),
        data=doc({"audience_type": "community"}, community=communities["club"], id=created["id"]),
    )
    assert response.status_code == 200, response.json
    assert response.json["data"]["relationships"]["community"]["data"]["id"] == communities["club"]
    response = client.patch(url, headers=headers(), data=doc({"filters": {"nope": 1}}, id=created["id"]))
    assert response.status_code == 422
    assert client.delete(url, headers=headers()).status_code == 204
    assert client.get(url, headers=headers()).status_code == 404


def test_organizations_are_isolated(client, communities):
    mine = create(client, {"name": "Mine", "audience_type": "customers"})
    url = f"{URL}/{mine['id']}?o={OTHER_ORG}"
    assert client.get(url, headers=headers("eve")).status_code == 404
    assert client.patch(url, headers=headers("eve"), data=doc({"name": "x"}, id=mine["id"])).status_code == 404
    assert client.delete(url, headers=headers("eve")).status_code == 404
    # eve cannot point her audience at alice's community
    response = client.post(
        f"{URL}?o={OTHER_ORG}",
        headers=headers("eve"),
        data=doc({"name": "x", "audience_type": "community"}, community=communities["club"]),
    )
    assert response.status_code == 404
    assert client.get(f"{URL}?o={OTHER_ORG}", headers=headers("eve")).json["data"] == []
    assert client.get(f"{URL}/{mine['id']}?o=1", headers=headers()).json["data"]["attributes"]["name"] == "Mine"


def test_list_filters_and_sort(client):
    create(client, {"name": "b customers", "audience_type": "customers", "is_template": True})
    create(client, {"name": "a bookings", "audience_type": "bookings"})

    def names(query):
        response = client.get(f"{URL}?o=1&{query}", headers=headers())
        assert response.status_code == 200, response.json
        return [a["attributes"]["name"] for a in response.json["data"]]

    assert names("sort=name") == ["a bookings", "b customers"]
    assert names("sort=-name") == ["b customers", "a bookings"]
    assert names("filter[search]=CUSTOM") == ["b customers"]
    assert names("filter[audience_type]=bookings") == ["a bookings"]
    assert names("filter[is_template]=true") == ["b customers"]
    response = client.get(f"{URL}?o=1&fields[broadcast-audiences]=name", headers=headers()).json
    assert all(set(a["attributes"]) == {"name"} for a in response["data"])
    assert all("member_count" in a["meta"] for a in response["data"])


@pytest.fixture
def groups(communities):
    """The host calls its communities ``groups``: ``CommunitySource(..., resource_type="groups")``."""
    extension = get_state().extension
    source = extension.community_source
    extension.set_community_source(
        replace(source, resource_type="groups", serialize=lambda group: {**source.serialize(group), "type": "groups"})
    )
    return communities


def group_doc(attributes, group, type_="groups", id=None):
    data = {
        "type": "broadcast-audiences",
        "attributes": attributes,
        "relationships": {"community": {"data": {"type": type_, "id": group}}},
    }
    if id is not None:
        data["id"] = str(id)
    return json.dumps({"data": data})


def test_the_community_relationship_has_the_hosts_type(client, groups):
    club = groups["club"]
    created = client.post(
        f"{URL}?o=1&include=community",
        headers=headers(),
        data=group_doc({"name": "Club", "audience_type": "community"}, club),
    )
    assert created.status_code == 201, created.json
    linkage = {"type": "groups", "id": club}
    assert created.json["data"]["relationships"]["community"]["data"] == linkage
    assert created.json["included"] == [{**linkage, "attributes": {"name": "club"}}]  # the 201 honours include
    url = f"{URL}/{created.json['data']['id']}?o=1"
    fetched = client.get(url, headers=headers()).json
    assert fetched["data"]["relationships"]["community"]["data"] == linkage
    included = client.get(f"{url}&include=community", headers=headers()).json
    assert included["data"]["relationships"]["community"]["data"] == linkage
    assert included["included"] == [{**linkage, "attributes": {"name": "club"}}]
    patched = client.patch(
        url, headers=headers(), data=group_doc({"name": "Club 2"}, club, id=created.json["data"]["id"])
    )
    assert patched.status_code == 200, patched.json
    assert patched.json["data"]["relationships"]["community"]["data"] == linkage
    # The type the host did not name is refused, like any other wrong type.
    wrong = client.post(
        f"{URL}?o=1",
        headers=headers(),
        data=group_doc({"name": "x", "audience_type": "community"}, club, "communities"),
    )
    assert wrong.status_code in (409, 422)
    assert wrong.json["errors"][0]["source"]["pointer"].startswith("/data/relationships/community")
