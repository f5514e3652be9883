"""``flask seed``: one JSON object on stdout, new organizations on every run, a useful mix."""

from __future__ import annotations

import json

from flask import Flask
from sqlalchemy import func, select

from example_app.extensions import db
from example_app.models import Booking, Community, Customer


def run_seed(app: Flask, *args: str) -> dict:
    result = app.test_cli_runner().invoke(args=["seed", *args])
    assert result.exit_code == 0, result.output
    # stdout alone (click >= 8.2 keeps stderr apart) must be exactly one JSON document.
    return json.loads(result.stdout)


def test_seed_output_shape(app: Flask) -> None:
    output = run_seed(app, "--customers", "60")
    assert set(output) == {"organizations"}
    organizations = output["organizations"]
    assert len(organizations) >= 2
    for organization in organizations:
        assert set(organization) == {"id", "name", "token"}
        assert isinstance(organization["id"], int) and organization["name"] and organization["token"]
        count = db.session.scalar(
            select(func.count()).select_from(Customer).where(Customer.organization_id == organization["id"])
        )
        assert count == 60


def test_seed_mix_of_data(app: Flask) -> None:
    organization = run_seed(app, "--customers", "300")["organizations"][0]
    customers = db.session.scalars(select(Customer).where(Customer.organization_id == organization["id"])).all()
    assert {c.locale for c in customers} == {"en", "fr", "fr-CA", "de", "es", None}
    assert {c.status for c in customers} == {"active", "inactive", "lead"}
    assert any(c.email is None for c in customers) and any(c.mobile is None for c in customers)
    assert all(
        c.mobile.startswith("+") and c.mobile[1:].isdigit() and len(c.mobile) <= 16 for c in customers if c.mobile
    )
    bookings = db.session.scalars(select(Booking).where(Booking.organization_id == organization["id"])).all()
    assert {b.status for b in bookings} == {"accepted", "pending", "cancelled"}
    (community,) = db.session.scalars(select(Community).where(Community.organization_id == organization["id"])).all()
    assert community.members


def test_seed_twice_adds_new_organizations_with_working_tokens(app: Flask) -> None:
    first = run_seed(app, "--customers", "3")["organizations"]
    second = run_seed(app)["organizations"]
    assert not {o["id"] for o in first} & {o["id"] for o in second}
    assert not {o["name"] for o in first} & {o["name"] for o in second}
    client = app.test_client()
    for organization in second:
        response = client.get(
            f"/api/customers?o={organization['id']}", headers={"Authorization": f"Bearer {organization['token']}"}
        )
        assert response.status_code == 200
        assert response.get_json()["meta"]["total"] == 50  # the default
    # Each organization's token is only good for its own organization.
    response = client.get(
        f"/api/customers?o={first[0]['id']}", headers={"Authorization": f"Bearer {second[0]['token']}"}
    )
    assert response.status_code == 403
