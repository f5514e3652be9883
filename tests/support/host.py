"""The small host of the in-process suites: customers, bookings, communities.

Built the way docs/integration.rst builds one: the host's own models (here on a metadata of
their own, created directly: no product ships them, so no migration), registered as audience
sources and a community source, with token and organization hooks. ``make_app`` takes the
settings a suite varies (a URL prefix, the file storage, ...); the fixtures that hand a
fresh app to each test are in ``tests/support/host_fixtures.py``.

Bearer tokens (:data:`TOKENS`): ``alice``, ``token-a`` and ``token-org-1`` work in one
organization each (:data:`ORG`, :data:`ORG_A`, ``org-1``), ``eve``, ``token-b`` and
``token-org-2`` in another (:data:`OTHER_ORG`, :data:`ORG_B`, ``org-2``) — three pairs
because the suites name their tenants three ways; ``alice-token`` is a member of two.
``tests/support/hostapp.py`` and ``tests/support/realtime_host.py`` are the same host in a
worker or web process, configured from the environment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from marshmallow import RAISE, Schema, fields, validate
from sqlalchemy import Column, ForeignKey, MetaData, Select, String, Table, select
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from example_app.config import configure_engine
from flask_broadcasts import AudienceSource, BookingRecipientMixin, Broadcasts, CommunitySource, RecipientMixin

ORG, OTHER_ORG = "1", "2"
ORG_A, ORG_B = "org-a", "org-b"


class HostBase(DeclarativeBase):
    """Plain declarative models: any app's ``SQLAlchemy`` session maps them."""

    metadata = MetaData()


#: One session object for every app of a process (each test's app registers on it).
db = SQLAlchemy()

community_members = Table(
    "community_members",
    HostBase.metadata,
    Column("community_id", ForeignKey("communities.id"), primary_key=True),
    Column("customer_id", ForeignKey("customers.id"), primary_key=True),
)


class Customer(RecipientMixin, HostBase):
    __tablename__ = "customers"
    broadcast_variables = ("first_name", "last_name", "email")

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100), default="")
    email: Mapped[str | None] = mapped_column(String(200))
    mobile: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(10), default="active")
    # The mixin's broadcast_timezone reads it: quiet hours and local delivery times (tests/integration/pacing).
    timezone: Mapped[str | None] = mapped_column(String(64))

    def get_variable_bindings(self) -> Mapping[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name, "email": self.email}


class Booking(BookingRecipientMixin, HostBase):
    __tablename__ = "bookings"
    customer_model = Customer
    booking_variables = ("booking_date",)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    status: Mapped[str] = mapped_column(String(20), default="accepted")
    date: Mapped[dt.date]
    # Every read goes through the source's selectinload: a lazy load per booking would fail here.
    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")

    def get_booking_bindings(self) -> Mapping[str, Any]:
        return {"booking_date": self.date.isoformat()}


class Community(HostBase):
    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100))


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


def customer_resource(customer: Customer) -> dict[str, Any]:
    return {
        "type": "customers",
        "id": str(customer.id),
        "attributes": {"first_name": customer.first_name, "email": customer.email},
    }


def booking_resource(booking: Booking) -> dict[str, Any]:
    return {
        "type": "bookings",
        "id": str(booking.id),
        "attributes": {"date": booking.date.isoformat(), "status": booking.status},
    }


def community_resource(community: Community) -> dict[str, Any]:
    return {"type": "communities", "id": str(community.id), "attributes": {"name": community.name}}


def get_community(community_id: str, organization_id: str) -> Community | None:
    if not str(community_id).isdigit():
        return None
    return db.session.scalar(
        select(Community).where(Community.id == int(community_id), Community.organization_id == organization_id)
    )


def members(stmt: Select, community_id: str, organization_id: str) -> Select:
    ids = select(community_members.c.customer_id).where(community_members.c.community_id == int(community_id))
    return customer_filters(stmt, {}, organization_id).where(Customer.id.in_(ids))


customers_source = AudienceSource(
    "customers", Customer, "customers", customer_filters, CustomerFilters, customer_resource
)
bookings_source = AudienceSource(
    "bookings",
    Booking,
    "bookings",
    booking_filters,
    BookingFilters,
    booking_resource,
    load_options=(selectinload(Booking.customer),),
)
community_source = CommunitySource(Community, get_community, members, community_resource)


@dataclass(frozen=True)
class Principal:
    name: str
    organizations: frozenset[str]


#: Bearer token → principal (``token-org-N``: the sending suites', whose organizations are ``org-N``).
TOKENS = {
    "alice": Principal("alice", frozenset({ORG})),
    "eve": Principal("eve", frozenset({OTHER_ORG})),
    "token-a": Principal("alice", frozenset({ORG_A})),
    "token-b": Principal("bob", frozenset({ORG_B})),
    "token-org-1": Principal("org-1", frozenset({"org-1"})),
    "token-org-2": Principal("org-2", frozenset({"org-2"})),
    # The realtime suites': a member of two organizations, and one of a third.
    "alice-token": Principal("alice", frozenset({ORG, "3"})),
    "bob-token": Principal("bob", frozenset({OTHER_ORG})),
}


def make_app(database_uri: str = "sqlite://", *, name: str = __name__, **config: Any) -> Flask:
    """The host on ``database_uri`` (the extension's revisions and :data:`HostBase`'s tables
    applied), with ``config`` over the defaults: ``BROADCASTS_URL_PREFIX`` and any other
    setting. Without ``database_uri`` only for what never queries (the OpenAPI document).
    ``name`` is the app's (what signal receivers see as ``app.name``)."""
    app = Flask(name)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_uri,
        TESTING=True,
        SECRET_KEY="host-secret",
        BROADCASTS_PUBLIC_URL="https://app.example.test",
    )
    app.config.update(config)
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)  # WAL + busy timeout: a test and its worker processes share the file
    broadcasts = Broadcasts(db=db)
    broadcasts.add_audience_source(customers_source)
    broadcasts.add_audience_source(bookings_source)
    broadcasts.set_community_source(community_source)
    broadcasts.token_loader(TOKENS.get)
    broadcasts.organization_access(lambda principal, organization_id: organization_id in principal.organizations)
    broadcasts.init_app(app)
    return app
