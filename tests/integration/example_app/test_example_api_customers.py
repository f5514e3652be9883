"""``/api/customers``: tenancy, the shared filters, creation and JSON:API errors."""

from __future__ import annotations

from flask import Flask
from flask.testing import FlaskClient

from example_app.extensions import db
from example_app.models import Customer

JSONAPI = "application/vnd.api+json"


def add_customers(organization_id: int, *rows: dict) -> list[int]:
    customers = [Customer(organization_id=organization_id, **row) for row in rows]
    db.session.add_all(customers)
    db.session.commit()
    return [customer.id for customer in customers]


def ids(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [resource["id"] for resource in response.get_json()["data"]]


def seed_people(tenant, other_tenant) -> dict[str, int]:
    a = add_customers(
        tenant.id,
        {"first_name": "Ada", "last_name": "Lovelace", "email": "ada@example.com", "locale": "en", "status": "active"},
        {
            "first_name": "Grace",
            "last_name": "Hopper",
            "email": "GRACE@navy.example",
            "locale": "fr-CA",
            "status": "lead",
        },
        {"first_name": "Émile", "last_name": "Durand", "email": None, "locale": "fr", "status": "inactive"},
        {"first_name": "Adam", "last_name": "Smith", "email": "adam@example.com", "locale": None, "status": "active"},
    )
    (other,) = add_customers(
        other_tenant.id, {"first_name": "Ada", "last_name": "Other", "email": "ada@globex.example"}
    )
    return {"ada": a[0], "grace": a[1], "emile": a[2], "adam": a[3], "other_ada": other}


def test_list_is_scoped_to_the_organization_and_ordered(client: FlaskClient, tenant, other_tenant) -> None:
    people = seed_people(tenant, other_tenant)
    response = client.get(f"/api/customers?o={tenant.id}", headers=tenant.headers)
    assert response.content_type == JSONAPI
    assert ids(response) == [str(people[name]) for name in ("ada", "grace", "emile", "adam")]
    body = response.get_json()
    assert body["meta"]["total"] == 4
    assert body["data"][0] == {
        "type": "customers",
        "id": str(people["ada"]),
        "attributes": {
            "first_name": "Ada",
            "last_name": "Lovelace",
            "email": "ada@example.com",
            "mobile": None,
            "locale": "en",
            "status": "active",
            "marketing_opt_in": True,
        },
    }


def test_search_is_case_insensitive_over_names_and_email(client: FlaskClient, tenant, other_tenant) -> None:
    people = seed_people(tenant, other_tenant)
    url = f"/api/customers?o={tenant.id}&filter[search]="
    assert ids(client.get(url + "ADA", headers=tenant.headers)) == [str(people["ada"]), str(people["adam"])]
    assert ids(client.get(url + "hopper", headers=tenant.headers)) == [str(people["grace"])]
    assert ids(client.get(url + "navy.EXAMPLE", headers=tenant.headers)) == [str(people["grace"])]
    # Every word must match somewhere: first name and last name together.
    assert ids(client.get(url + "ada love", headers=tenant.headers)) == [str(people["ada"])]
    # LIKE wildcards are literal text.
    assert ids(client.get(url + "%25", headers=tenant.headers)) == []


def test_status_and_locale_filters(client: FlaskClient, tenant, other_tenant) -> None:
    people = seed_people(tenant, other_tenant)
    base = f"/api/customers?o={tenant.id}"
    assert ids(client.get(base + "&filter[status]=active", headers=tenant.headers)) == [
        str(people["ada"]),
        str(people["adam"]),
    ]
    assert ids(client.get(base + "&filter[locale]=fr-CA", headers=tenant.headers)) == [str(people["grace"])]
    assert ids(client.get(base + "&filter[status]=inactive&filter[locale]=fr", headers=tenant.headers)) == [
        str(people["emile"])
    ]


def test_invalid_filters_are_400_with_the_parameter(client: FlaskClient, tenant) -> None:
    response = client.get(f"/api/customers?o={tenant.id}&filter[status]=vip&filter[colour]=red", headers=tenant.headers)
    assert response.status_code == 400
    assert response.content_type == JSONAPI
    parameters = {error["source"]["parameter"] for error in response.get_json()["errors"]}
    assert parameters == {"filter[status]", "filter[colour]"}
    assert client.get(f"/api/customers?o={tenant.id}&sort=name", headers=tenant.headers).status_code == 400
    assert client.get(f"/api/customers?o={tenant.id}&page[size]=0", headers=tenant.headers).status_code == 400


def test_pagination(client: FlaskClient, tenant) -> None:
    created = add_customers(tenant.id, *({"first_name": f"C{n}"} for n in range(5)))
    response = client.get(f"/api/customers?o={tenant.id}&page[size]=2&page[number]=2", headers=tenant.headers)
    assert ids(response) == [str(created[2]), str(created[3])]
    links = response.get_json()["links"]
    assert "page%5Bnumber%5D=3" in links["next"] and "page%5Bnumber%5D=1" in links["prev"]
    assert "page%5Bnumber%5D=3" in links["last"]


def test_tenant_isolation(client: FlaskClient, tenant, other_tenant) -> None:
    people = seed_people(tenant, other_tenant)
    no_token = client.get(f"/api/customers?o={tenant.id}")
    assert no_token.status_code == 401
    assert no_token.content_type == JSONAPI
    assert no_token.headers["WWW-Authenticate"] == "Bearer"
    assert client.get(f"/api/customers?o={tenant.id}", headers={"Authorization": "Bearer nope"}).status_code == 401
    missing_o = client.get("/api/customers", headers=tenant.headers)
    assert missing_o.status_code == 400
    assert missing_o.get_json()["errors"][0]["source"] == {"parameter": "o"}
    assert client.get("/api/customers?o=abc", headers=tenant.headers).status_code == 400
    # Another organization's token, or another organization's id: 403.
    assert client.get(f"/api/customers?o={tenant.id}", headers=other_tenant.headers).status_code == 403
    assert client.get(f"/api/customers?o={other_tenant.id}", headers=tenant.headers).status_code == 403
    # An id of another organization's customer is not found in ours.
    response = client.get(f"/api/customers/{people['other_ada']}?o={tenant.id}", headers=tenant.headers)
    assert response.status_code == 404
    assert response.content_type == JSONAPI


def test_create_customer(client: FlaskClient, app: Flask, tenant) -> None:
    body = {
        "data": {
            "type": "customers",
            "attributes": {
                "first_name": "Ada",
                "last_name": "Lovelace",
                "email": "ada@example.com",
                "mobile": "+33612345678",
                "locale": "fr-CA",
            },
        }
    }
    response = client.post(
        f"/api/customers?o={tenant.id}", json=body, headers={**tenant.headers, "Content-Type": JSONAPI}
    )
    assert response.status_code == 201, response.get_json()
    assert response.content_type == JSONAPI
    resource = response.get_json()["data"]
    assert resource["attributes"]["status"] == "active"
    assert resource["attributes"]["mobile"] == "+33612345678"
    assert response.headers["Location"].endswith(f"/api/customers/{resource['id']}?o={tenant.id}")
    shown = client.get(f"/api/customers/{resource['id']}?o={tenant.id}", headers=tenant.headers)
    assert shown.get_json()["data"] == resource
    assert db.session.get(Customer, int(resource["id"])).organization_id == tenant.id


def test_create_customer_errors(client: FlaskClient, tenant) -> None:
    url = f"/api/customers?o={tenant.id}"
    invalid = client.post(
        url,
        json={
            "data": {"type": "customers", "attributes": {"email": "not-an-email", "mobile": "0612", "status": "vip"}}
        },
        headers=tenant.headers,
    )
    assert invalid.status_code == 422
    pointers = {error["source"]["pointer"] for error in invalid.get_json()["errors"]}
    assert pointers == {
        "/data/attributes/first_name",
        "/data/attributes/email",
        "/data/attributes/mobile",
        "/data/attributes/status",
    }
    wrong_type = client.post(
        url, json={"data": {"type": "bookings", "attributes": {"first_name": "A"}}}, headers=tenant.headers
    )
    assert wrong_type.status_code == 409
    assert client.post(url, json={"nope": 1}, headers=tenant.headers).status_code == 400
    assert client.post(url, data="first_name=A", headers=tenant.headers).status_code == 415
    assert client.post(url, json={"data": {"type": "customers"}}).status_code == 401


def test_the_list_filters_on_the_marketing_opt_in(client: FlaskClient, tenant, other_tenant) -> None:
    """``filter[marketing_opt_in]``: the host's own endpoint selects on the flag an audience can use."""
    yes, no = add_customers(
        tenant.id,
        {"first_name": "Yes", "email": "yes@example.com"},
        {"first_name": "No", "email": "no@example.com", "marketing_opt_in": False},
    )
    listed = {
        value: ids(client.get(f"/api/customers?o={tenant.id}&filter[marketing_opt_in]={value}", headers=tenant.headers))
        for value in ("true", "false")
    }
    assert listed == {"true": [str(yes)], "false": [str(no)]}
    refused = client.get(f"/api/customers?o={tenant.id}&filter[marketing_opt_in]=maybe", headers=tenant.headers)
    assert refused.status_code == 400
