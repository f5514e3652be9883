"""A tiny host product for the template and audience service tests.

Its own models (customers, bookings, communities) on their own metadata, registered
as audience sources the way a real host does it. One app per test on the suite database
(``tests/support/database.py``): the extension's tables by its Alembic revisions, these
test-only host tables created directly.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Column, Date, ForeignKey, Integer, MetaData, Select, String, Table, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

from flask_broadcasts import AudienceSource, BookingRecipientMixin, Broadcasts, CommunitySource, RecipientMixin
from tests.support.database import MigratedDatabase, host_database_fixture

ORG = "1"
OTHER_ORG = "2"


class HostBase(DeclarativeBase):
    metadata = MetaData()


community_members = Table(
    "community_members",
    HostBase.metadata,
    Column("community_id", ForeignKey("communities.id"), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
)


class Customer(RecipientMixin, HostBase):
    __tablename__ = "customers"
    broadcast_variables = ("first_name", "last_name", "email")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(10))
    first_name: Mapped[str] = mapped_column(String(50))
    last_name: Mapped[str] = mapped_column(String(50), default="")
    email: Mapped[str | None] = mapped_column(String(100))
    status: Mapped[str] = mapped_column(String(10), default="active")

    def get_variable_bindings(self) -> Mapping[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name, "email": self.email}


class Booking(BookingRecipientMixin, HostBase):
    __tablename__ = "bookings"
    customer_model = Customer
    booking_variables = ("booking_date",)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(10))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(10), default="accepted")
    date = mapped_column(Date)
    customer: Mapped[Customer] = relationship()

    def get_booking_bindings(self) -> Mapping[str, Any]:
        return {"booking_date": self.date.isoformat()}


class Community(HostBase):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(10))
    name: Mapped[str] = mapped_column(String(50))


class CustomerFilters(Schema):
    class Meta:
        unknown = RAISE

    search = fields.String(validate=validate.Length(min=1))
    status = fields.String(validate=validate.OneOf(["active", "inactive"]))


class BookingFilters(Schema):
    class Meta:
        unknown = RAISE

    status = fields.String(validate=validate.OneOf(["accepted", "cancelled"]))
    date_from = fields.Date()


def customer_filters(stmt: Select, filters: Mapping[str, Any], organization_id: str) -> Select:
    stmt = stmt.where(Customer.organization_id == organization_id)
    if filters.get("search"):
        stmt = stmt.where(Customer.first_name.ilike(f"%{filters['search']}%"))
    if filters.get("status"):
        stmt = stmt.where(Customer.status == filters["status"])
    return stmt.order_by(Customer.id)


def booking_filters(stmt: Select, filters: Mapping[str, Any], organization_id: str) -> Select:
    stmt = stmt.where(Booking.organization_id == organization_id)
    if filters.get("status"):
        stmt = stmt.where(Booking.status == filters["status"])
    if filters.get("date_from"):
        stmt = stmt.where(Booking.date >= filters["date_from"])  # a date: the schema loaded it
    return stmt.order_by(Booking.id)


def serialize(obj: Any) -> dict[str, Any]:
    return {"type": obj.__tablename__, "id": str(obj.id), "attributes": {}}


def serialize_community(community: Community) -> dict[str, Any]:
    return {"type": "communities", "id": str(community.id), "attributes": {"name": community.name}}


#: Bearer token → principal: "alice" works in ORG, "eve" in OTHER_ORG.
TOKENS: dict[str, dict[str, Any]] = {"alice": {"orgs": [ORG]}, "eve": {"orgs": [OTHER_ORG]}}


def make_app(database_uri: str, **config: Any) -> tuple[Flask, SQLAlchemy]:
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_uri,
        TESTING=True,
        SECRET_KEY="service-secret",
        BROADCASTS_PUBLIC_URL="https://app.example.test",
    )
    app.config.update(config)
    db = SQLAlchemy()
    db.init_app(app)
    broadcasts = Broadcasts(db=db)
    broadcasts.add_audience_source(
        AudienceSource("customers", Customer, "customers", customer_filters, CustomerFilters, serialize)
    )
    broadcasts.add_audience_source(
        AudienceSource("bookings", Booking, "bookings", booking_filters, BookingFilters, serialize)
    )

    def get_community(community_id: str, organization_id: str) -> Community | None:
        if not str(community_id).isdigit():
            return None
        return db.session.scalar(
            select(Community).where(Community.id == int(community_id), Community.organization_id == organization_id)
        )

    def members(stmt: Select, community_id: str, organization_id: str) -> Select:
        ids = select(community_members.c.customer_id).where(community_members.c.community_id == int(community_id))
        return customer_filters(stmt, {}, organization_id).where(Customer.id.in_(ids))

    broadcasts.set_community_source(CommunitySource(Community, get_community, members, serialize_community))
    broadcasts.token_loader(TOKENS.get)
    broadcasts.organization_access(lambda principal, organization_id: organization_id in principal["orgs"])
    broadcasts.init_app(app)
    return app, db


service_host_database = host_database_fixture("service_host", HostBase.metadata)


@pytest.fixture
def database_uri(service_host_database: MigratedDatabase, tmp_path: Path) -> str:
    """The schema with no rows, private to this test."""
    return service_host_database.for_test(tmp_path)


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:
    app, db = make_app(database_uri)
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


JSONAPI = "application/vnd.api+json"


def headers(token: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": JSONAPI, "Accept": JSONAPI}


@pytest.fixture
def validate_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response under /api must be a valid JSON:API document, except file bytes
    and the OpenAPI document."""
    from flask.testing import FlaskClient

    from tests.support.jsonapi_validation import check_response

    original = FlaskClient.open

    def open_and_check(self: FlaskClient, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        path = response.request.path
        if not (response.status_code == 200 and (path.endswith("/content") or "broadcasts-docs" in path)):
            check_response(response, ("/api",))
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_check)


@pytest.fixture
def client(app: Flask, validate_responses: None) -> Any:
    return app.test_client()
