"""The host's side of the broadcasts contract: the same rows as the host API, and the bindings."""

from __future__ import annotations

import datetime as dt
import random

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select

from example_app.extensions import broadcasts, db
from example_app.filters import BookingFilterSchema, CustomerFilterSchema
from example_app.models import Booking, Community, Customer
from example_app.seed import seed
from example_app.serializers import booking_resource, customer_resource
from tests.support.example_fixtures import all_ids


@pytest.fixture
def seeded(app: Flask) -> dict:
    return seed(200, rng=random.Random(7))


def test_sources_are_registered(app: Flask) -> None:
    assert set(broadcasts.audience_types) == {"customers", "bookings", "community"}
    customers = broadcasts.audience_sources["customers"]
    assert (customers.model, customers.resource_type, customers.filter_schema) == (
        Customer,
        "customers",
        CustomerFilterSchema,
    )
    bookings = broadcasts.audience_sources["bookings"]
    assert (bookings.model, bookings.filter_schema) == (Booking, BookingFilterSchema)
    assert broadcasts.binding_variables == {
        "customer": frozenset({"first_name", "last_name", "full_name", "email", "mobile", "unsubscribe_url"}),
        "booking": frozenset(
            {
                "first_name",
                "last_name",
                "full_name",
                "email",
                "mobile",
                "booking_date",
                "service_name",
                "booking_status",
                "unsubscribe_url",
            }
        ),
    }


@pytest.mark.parametrize(
    "filters",
    [
        {},
        {"search": "ADA"},
        {"status": "lead"},
        {"locale": "fr-CA"},
        {"search": "example.com", "status": "active", "locale": "en"},
    ],
)
def test_customer_audience_matches_the_host_endpoint(client: FlaskClient, seeded: dict, filters: dict) -> None:
    source = broadcasts.audience_sources["customers"]
    for organization in seeded["organizations"]:
        # The extension validates stored filters with the source's schema, then asks for the rows.
        loaded = source.filter_schema().load(filters)
        rows = db.session.scalars(source.recipients(loaded, str(organization["id"]))).all()
        assert [str(row.id) for row in rows] == all_ids(
            client, "/api/customers", organization["id"], organization["token"], filters
        )
        assert all(row.organization_id == organization["id"] for row in rows)
    assert rows or filters  # the unfiltered audience is not empty


def test_booking_audience_matches_the_host_endpoint(client: FlaskClient, seeded: dict) -> None:
    source = broadcasts.audience_sources["bookings"]
    today = dt.date.today()
    cases = [
        {},
        {"status": "accepted"},
        {"date_from": today.isoformat()},
        {
            "date_from": (today - dt.timedelta(days=7)).isoformat(),
            "date_to": (today + dt.timedelta(days=7)).isoformat(),
        },
        {"search": "yoga"},
        {"search": "lovelace", "status": "pending"},
    ]
    organization = seeded["organizations"][0]
    for filters in cases:
        expected = all_ids(client, "/api/bookings", organization["id"], organization["token"], filters)
        # As stored in an audience's JSON (the source loads them through its schema) ...
        rows = db.session.scalars(source.recipients(filters, str(organization["id"]))).all()
        assert [str(row.id) for row in rows] == expected, filters
        # ... and the host's own filter function on loaded filters: the same rows.
        loaded = BookingFilterSchema().load(filters)
        rows = db.session.scalars(source.apply_filters(select(source.model), loaded, str(organization["id"]))).all()
        assert [str(row.id) for row in rows] == expected, filters
        assert expected, filters  # a case that matches nothing would prove nothing


def test_foreign_or_malformed_organization_matches_nothing(app: Flask, seeded: dict) -> None:
    for source in broadcasts.sources():
        for organization_id in ("abc", "", "999999"):
            assert db.session.scalars(source.recipients({}, organization_id)).all() == []


def test_community_source(app: Flask, seeded: dict) -> None:
    first, second = seeded["organizations"]
    community_source = broadcasts.community_source
    community = db.session.scalar(select(Community).where(Community.organization_id == first["id"]))
    assert community_source.get(str(community.id), str(first["id"])) is community
    assert community_source.get(str(community.id), str(second["id"])) is None
    assert community_source.get("nope", str(first["id"])) is None

    members = db.session.scalars(community_source.members(select(Customer), str(community.id), str(first["id"]))).all()
    assert [member.id for member in members] == [member.id for member in community.members]
    assert members and [m.id for m in members] == sorted(m.id for m in members)
    # The community of another organization yields no one.
    assert (
        db.session.scalars(community_source.members(select(Customer), str(community.id), str(second["id"]))).all() == []
    )
    assert db.session.scalars(community_source.members(select(Customer), "x", str(first["id"]))).all() == []

    resource = community_source.serialize(community)
    assert resource["type"] == "communities" and resource["attributes"] == {"name": community.name}
    assert broadcasts.audience_source("community") is broadcasts.audience_sources["customers"]


def test_recipient_bindings(app: Flask, tenant) -> None:
    customer = Customer(
        organization_id=tenant.id,
        first_name="Ada",
        last_name="Lovelace",
        email="ada@example.com",
        mobile="+33612345678",
        locale="fr",
    )
    booking = Booking(
        organization_id=tenant.id,
        customer=customer,
        date=dt.date(2026, 4, 1),
        service_name="Massage",
        status="accepted",
    )
    db.session.add(booking)
    db.session.commit()
    assert customer.get_variable_bindings() == {
        "first_name": "Ada",
        "last_name": "Lovelace",
        "full_name": "Ada Lovelace",
        "email": "ada@example.com",
        "mobile": "+33612345678",
    }
    assert booking.get_variable_bindings() == {
        **customer.get_variable_bindings(),
        "booking_date": "2026-04-01",
        "service_name": "Massage",
        "booking_status": "accepted",
    }
    assert set(booking.get_variable_bindings()) == set(Booking.broadcast_variables)
    assert (booking.broadcast_email, booking.broadcast_mobile, booking.broadcast_locale) == (
        "ada@example.com",
        "+33612345678",
        "fr",
    )
    assert booking.broadcast_customer is customer and customer.broadcast_id == str(customer.id)
    assert customer_resource(customer)["attributes"]["locale"] == "fr"
    assert booking_resource(booking)["relationships"]["customer"]["data"] == {
        "type": "customers",
        "id": str(customer.id),
    }
    no_contact = Customer(organization_id=tenant.id, first_name="X", email="", mobile=None)
    assert (no_contact.broadcast_email, no_contact.broadcast_mobile) == (None, None)
