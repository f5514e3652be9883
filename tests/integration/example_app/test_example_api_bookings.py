"""``/api/bookings`` and ``/api/communities``: filters, creation, relationships, tenancy."""

from __future__ import annotations

import datetime as dt

from flask.testing import FlaskClient

from example_app.extensions import db
from example_app.models import Booking, Community, Customer

JSONAPI = "application/vnd.api+json"


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [resource["id"] for resource in response.get_json()["data"]]


def make_bookings(tenant, other_tenant) -> dict[str, int]:
    ada = Customer(organization_id=tenant.id, first_name="Ada", last_name="Lovelace", email="ada@example.com")
    bob = Customer(organization_id=tenant.id, first_name="Bob", last_name="Marley", email="BOB@music.example")
    eve = Customer(organization_id=other_tenant.id, first_name="Ada", last_name="Eve")
    rows = {
        "ada_massage": Booking(
            organization_id=tenant.id, customer=ada, date=dt.date(2026, 4, 1), service_name="Massage", status="accepted"
        ),
        "ada_yoga": Booking(
            organization_id=tenant.id,
            customer=ada,
            date=dt.date(2026, 4, 10),
            service_name="Yoga class",
            status="pending",
        ),
        "bob_yoga": Booking(
            organization_id=tenant.id,
            customer=bob,
            date=dt.date(2026, 4, 20),
            service_name="Yoga class",
            status="accepted",
        ),
        "bob_cut": Booking(
            organization_id=tenant.id,
            customer=bob,
            date=dt.date(2026, 5, 1),
            service_name="Haircut",
            status="cancelled",
        ),
        "eve_massage": Booking(
            organization_id=other_tenant.id,
            customer=eve,
            date=dt.date(2026, 4, 10),
            service_name="Massage",
            status="accepted",
        ),
    }
    db.session.add_all(rows.values())
    db.session.commit()
    return {name: booking.id for name, booking in rows.items()} | {"ada": ada.id, "bob": bob.id, "eve": eve.id}


def test_list_bookings(client: FlaskClient, tenant, other_tenant) -> None:
    b = make_bookings(tenant, other_tenant)
    response = client.get(f"/api/bookings?o={tenant.id}", headers=tenant.headers)
    assert response.content_type == JSONAPI
    assert ids(response) == [str(b[n]) for n in ("ada_massage", "ada_yoga", "bob_yoga", "bob_cut")]
    assert response.get_json()["data"][0] == {
        "type": "bookings",
        "id": str(b["ada_massage"]),
        "attributes": {"status": "accepted", "date": "2026-04-01", "service_name": "Massage"},
        "relationships": {"customer": {"data": {"type": "customers", "id": str(b["ada"])}}},
    }


def test_booking_filters(client: FlaskClient, tenant, other_tenant) -> None:
    b = make_bookings(tenant, other_tenant)
    base = f"/api/bookings?o={tenant.id}"

    def get(query: str) -> list[str]:
        return ids(client.get(base + query, headers=tenant.headers))

    def expect(*names: str) -> list[str]:
        return [str(b[name]) for name in names]

    assert get("&filter[search]=ADA") == expect("ada_massage", "ada_yoga")
    assert get("&filter[search]=music.example") == expect("bob_yoga", "bob_cut")
    assert get("&filter[search]=yoga") == expect("ada_yoga", "bob_yoga")
    assert get("&filter[search]=bob yoga") == expect("bob_yoga")
    assert get("&filter[status]=accepted") == expect("ada_massage", "bob_yoga")
    # Both ends inclusive.
    assert get("&filter[date_from]=2026-04-10&filter[date_to]=2026-04-20") == expect("ada_yoga", "bob_yoga")
    assert get("&filter[date_from]=2026-04-20") == expect("bob_yoga", "bob_cut")
    assert get("&filter[date_to]=2026-04-01") == expect("ada_massage")
    assert get("&filter[status]=accepted&filter[date_from]=2026-04-02") == expect("bob_yoga")


def test_invalid_booking_filters(client: FlaskClient, tenant) -> None:
    base = f"/api/bookings?o={tenant.id}"
    for query, parameter in (
        ("&filter[date_from]=01/04/2026", "filter[date_from]"),
        ("&filter[status]=done", "filter[status]"),
        ("&filter[date_from]=2026-05-01&filter[date_to]=2026-04-01", "filter[date_to]"),
        ("&filter[locale]=fr", "filter[locale]"),
    ):
        response = client.get(base + query, headers=tenant.headers)
        assert response.status_code == 400, query
        assert response.get_json()["errors"][0]["source"] == {"parameter": parameter}


def test_bookings_need_membership(client: FlaskClient, tenant, other_tenant) -> None:
    assert client.get(f"/api/bookings?o={tenant.id}").status_code == 401
    assert client.get("/api/bookings", headers=tenant.headers).status_code == 400
    assert client.get(f"/api/bookings?o={tenant.id}", headers=other_tenant.headers).status_code == 403
    assert client.get(f"/api/communities?o={tenant.id}", headers=other_tenant.headers).status_code == 403


def test_create_booking(client: FlaskClient, tenant, other_tenant) -> None:
    b = make_bookings(tenant, other_tenant)
    url = f"/api/bookings?o={tenant.id}"

    def post(customer_id: int | str, **attributes):
        body = {
            "data": {
                "type": "bookings",
                "attributes": {"date": "2026-06-01", "service_name": "Massage", **attributes},
                "relationships": {"customer": {"data": {"type": "customers", "id": str(customer_id)}}},
            }
        }
        return client.post(url, json=body, headers={**tenant.headers, "Content-Type": JSONAPI})

    created = post(b["ada"], status="accepted")
    assert created.status_code == 201, created.get_json()
    resource = created.get_json()["data"]
    assert resource["attributes"] == {"status": "accepted", "date": "2026-06-01", "service_name": "Massage"}
    assert resource["relationships"]["customer"]["data"] == {"type": "customers", "id": str(b["ada"])}
    assert client.get(f"/api/bookings/{resource['id']}?o={tenant.id}", headers=tenant.headers).status_code == 200

    # Another organization's customer does not exist here.
    assert post(b["eve"]).status_code == 404
    assert post("nope").status_code == 404
    invalid = post(b["ada"], date="tomorrow", status="done")
    assert invalid.status_code == 422
    assert {e["source"]["pointer"] for e in invalid.get_json()["errors"]} == {
        "/data/attributes/date",
        "/data/attributes/status",
    }
    missing = client.post(
        url,
        json={"data": {"type": "bookings", "attributes": {"date": "2026-06-01", "service_name": "X"}}},
        headers=tenant.headers,
    )
    assert missing.status_code == 422
    assert missing.get_json()["errors"][0]["source"]["pointer"] == "/data/relationships/customer"
    wrong = client.post(
        url,
        json={
            "data": {
                "type": "bookings",
                "attributes": {"date": "2026-06-01", "service_name": "X"},
                "relationships": {"customer": {"data": {"type": "users", "id": "1"}}},
            }
        },
        headers=tenant.headers,
    )
    assert wrong.status_code == 409
    # And the booking of another organization is not found.
    assert client.get(f"/api/bookings/{b['eve_massage']}?o={tenant.id}", headers=tenant.headers).status_code == 404


def test_create_and_list_communities(client: FlaskClient, tenant, other_tenant) -> None:
    b = make_bookings(tenant, other_tenant)
    url = f"/api/communities?o={tenant.id}"
    body = {
        "data": {
            "type": "communities",
            "attributes": {"name": "Regulars"},
            "relationships": {
                "members": {
                    "data": [
                        {"type": "customers", "id": str(b["bob"])},
                        {"type": "customers", "id": str(b["ada"])},
                        {"type": "customers", "id": str(b["ada"])},
                    ]
                }
            },
        }
    }
    created = client.post(url, json=body, headers={**tenant.headers, "Content-Type": JSONAPI})
    assert created.status_code == 201, created.get_json()
    resource = created.get_json()["data"]
    assert resource["type"] == "communities"
    assert resource["attributes"] == {"name": "Regulars"}
    # Members in id order, each once.
    assert resource["relationships"]["members"]["data"] == [
        {"type": "customers", "id": str(b["ada"])},
        {"type": "customers", "id": str(b["bob"])},
    ]
    listed = client.get(url, headers=tenant.headers)
    assert listed.content_type == JSONAPI
    assert listed.get_json()["data"] == [resource]
    assert client.get(f"/api/communities?o={other_tenant.id}", headers=other_tenant.headers).get_json()["data"] == []

    empty = client.post(
        url, json={"data": {"type": "communities", "attributes": {"name": "Empty"}}}, headers=tenant.headers
    )
    assert empty.status_code == 201
    assert empty.get_json()["data"]["relationships"]["members"]["data"] == []

    foreign = {
        "data": {
            "type": "communities",
            "attributes": {"name": "Spies"},
            "relationships": {"members": {"data": [{"type": "customers", "id": str(b["eve"])}]}},
        }
    }
    assert client.post(url, json=foreign, headers=tenant.headers).status_code == 404
    assert db.session.query(Community).count() == 2
    nameless = client.post(url, json={"data": {"type": "communities", "attributes": {}}}, headers=tenant.headers)
    assert nameless.status_code == 422
    assert nameless.get_json()["errors"][0]["source"]["pointer"] == "/data/attributes/name"
