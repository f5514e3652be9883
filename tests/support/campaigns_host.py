"""A small host (customers, bookings, communities) and fixtures for the campaign, preview
and messages tests. Each test gets a fresh app on the suite database
(``tests/support/database.py``): the extension's tables by its Alembic revisions, these
test-only host tables created directly; no rows left from other tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship, selectinload

from flask_broadcasts import (
    AudienceSource,
    BookingRecipientMixin,
    Broadcasts,
    CommunitySource,
    RecipientMixin,
    get_state,
)
from flask_broadcasts.models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastSentEmail,
    BroadcastTemplate,
)
from tests.support.database import MigratedDatabase, host_database_fixture


class HostBase(DeclarativeBase):
    pass


db = SQLAlchemy(model_class=HostBase)


class Customer(RecipientMixin, db.Model):
    __tablename__ = "test_customers"
    broadcast_variables = ("first_name", "last_name")

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(sa.String(64))
    first_name: Mapped[str] = mapped_column(sa.String(100))
    last_name: Mapped[str] = mapped_column(sa.String(100), default="")
    email: Mapped[str | None] = mapped_column(sa.String(200))
    mobile: Mapped[str | None] = mapped_column(sa.String(40))
    locale: Mapped[str | None] = mapped_column(sa.String(20))

    def get_variable_bindings(self) -> dict[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name}


class Booking(BookingRecipientMixin, db.Model):
    __tablename__ = "test_bookings"
    customer_model = Customer
    booking_variables = ("booking_date",)

    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(sa.String(64))
    customer_id: Mapped[int] = mapped_column(sa.ForeignKey("test_customers.id"))
    date: Mapped[str] = mapped_column(sa.String(10))
    status: Mapped[str] = mapped_column(sa.String(20), default="accepted")
    customer: Mapped[Customer] = relationship(lazy="raise_on_sql")

    def get_booking_bindings(self) -> dict[str, Any]:
        return {"booking_date": self.date}


members = sa.Table(
    "test_community_members",
    HostBase.metadata,
    sa.Column("community_id", sa.ForeignKey("test_communities.id"), primary_key=True),
    sa.Column("customer_id", sa.ForeignKey("test_customers.id"), primary_key=True),
)


class Community(db.Model):
    __tablename__ = "test_communities"
    id: Mapped[int] = mapped_column(primary_key=True)
    organization_id: Mapped[str] = mapped_column(sa.String(64))
    name: Mapped[str] = mapped_column(sa.String(100))


def customer_filters(stmt: sa.Select, filters: Any, organization_id: str) -> sa.Select:
    stmt = stmt.where(Customer.organization_id == organization_id)
    if filters.get("search"):
        stmt = stmt.where(Customer.first_name.ilike(f"%{filters['search']}%"))
    return stmt


def booking_filters(stmt: sa.Select, filters: Any, organization_id: str) -> sa.Select:
    stmt = stmt.where(Booking.organization_id == organization_id)
    if filters.get("status"):
        stmt = stmt.where(Booking.status == filters["status"])
    return stmt


def customer_resource(customer: Customer) -> dict[str, Any]:
    return {
        "type": "customers",
        "id": str(customer.id),
        "attributes": {"first_name": customer.first_name, "email": customer.email},
    }


def booking_resource(booking: Booking) -> dict[str, Any]:
    return {"type": "bookings", "id": str(booking.id), "attributes": {"date": booking.date, "status": booking.status}}


def community_members(stmt: sa.Select, community_id: str, organization_id: str) -> sa.Select:
    ids = sa.select(members.c.customer_id).where(members.c.community_id == int(community_id))
    return customer_filters(stmt, {}, organization_id).where(Customer.id.in_(ids))


customers_source = AudienceSource("customers", Customer, "customers", customer_filters, None, customer_resource)
bookings_source = AudienceSource(
    "bookings",
    Booking,
    "bookings",
    booking_filters,
    None,
    booking_resource,
    load_options=(selectinload(Booking.customer),),
)
community_source = CommunitySource(
    model=Community,
    get=lambda cid, org: db.session.scalar(
        sa.select(Community).where(Community.id == int(cid), Community.organization_id == org)
    ),
    members=community_members,
    serialize=lambda c: {"type": "communities", "id": str(c.id), "attributes": {"name": c.name}},
)

#: Bearer token → (user, organizations).
TOKENS = {"token-a": ("alice", {"org-a"}), "token-b": ("bob", {"org-b"})}
ORG_A, ORG_B = "org-a", "org-b"


def create_app(database_uri: str = "sqlite://") -> Flask:
    """The host app; without ``database_uri`` only for what never queries (the OpenAPI document)."""
    app = Flask(__name__)
    app.config.update(
        SQLALCHEMY_DATABASE_URI=database_uri,
        TESTING=True,
        SECRET_KEY="campaigns-secret",
        BROADCASTS_PUBLIC_URL="https://app.example.test",
    )
    db.init_app(app)
    broadcasts = Broadcasts(db=db)
    broadcasts.add_audience_source(customers_source)
    broadcasts.add_audience_source(bookings_source)
    broadcasts.set_community_source(community_source)
    broadcasts.token_loader(lambda token: TOKENS.get(token))
    broadcasts.organization_access(lambda principal, org: org in principal[1])
    broadcasts.init_app(app)
    return app


campaigns_host_database = host_database_fixture("campaigns_host", HostBase.metadata)


@pytest.fixture
def app(campaigns_host_database: MigratedDatabase, tmp_path: Path) -> Iterator[Flask]:
    app = create_app(campaigns_host_database.for_test(tmp_path))
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app: Flask):
    return db.session


@pytest.fixture
def renamed_host(app: Flask, monkeypatch: pytest.MonkeyPatch) -> None:
    """The same host under a product's own names: customers are ``clients`` (binding type
    ``client``), bookings ``appointments`` (binding type ``appointment``), in audience
    types, resource types and serializers alike."""
    monkeypatch.setattr(Customer, "broadcast_binding_type", "client")
    monkeypatch.setattr(Booking, "broadcast_binding_type", "appointment")
    extension = get_state(app).extension
    extension.audience_sources.clear()
    for source, name in ((customers_source, "clients"), (bookings_source, "appointments")):
        serialize = source.serialize
        extension.add_audience_source(
            replace(
                source,
                audience_type=name,
                resource_type=name,
                serialize=lambda obj, serialize=serialize, name=name: {**serialize(obj), "type": name},
            )
        )
    extension.set_community_source(replace(community_source, member_source="clients"))


# -- builders -------------------------------------------------------------------------------


def add(obj: Any) -> Any:
    db.session.add(obj)
    db.session.commit()
    return obj


def make_template(org: str = ORG_A, **values: Any) -> BroadcastTemplate:
    defaults: dict[str, Any] = {
        "name": "Newsletter",
        "subject": "Hello {first_name}!",
        "body": "<p>Hi {first_name} {last_name}</p>",
        "body_short": "Hi {first_name}",
        "action_label": "View",
        "action_url": "https://example.com/u",
        "channels": ["mail", "sms"],
        "binding_type": "customer",
        "subject_i18n": {"fr": "Bonjour {first_name} !"},
        "body_i18n": {"fr": "<p>Salut {first_name}</p>"},
        "body_short_i18n": {},
        "action_label_i18n": {},
    }
    defaults.update(values)
    return add(BroadcastTemplate(organization_id=org, **defaults))


def make_audience(org: str = ORG_A, **values: Any) -> BroadcastAudience:
    defaults: dict[str, Any] = {"name": "Everyone", "audience_type": "customers", "filters": {}}
    defaults.update(values)
    return add(BroadcastAudience(organization_id=org, **defaults))


def make_campaign(org: str = ORG_A, template=None, audience=None, **values: Any) -> BroadcastCampaign:
    template = template or make_template(org)
    audience = audience or make_audience(org)
    defaults: dict[str, Any] = {"name": "March", "recurring": False, "timezone": "UTC"}
    defaults.update(values)
    return add(BroadcastCampaign(organization_id=org, template_id=template.id, audience_id=audience.id, **defaults))


def make_customer(org: str = ORG_A, first_name: str = "Ann", **values: Any) -> Customer:
    defaults: dict[str, Any] = {"email": f"{first_name.lower()}@example.com", "mobile": "+33600000001", "locale": None}
    defaults.update(values)
    return add(Customer(organization_id=org, first_name=first_name, **defaults))


T0 = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def make_message(
    campaign: BroadcastCampaign,
    recipient: Customer | Booking,
    *,
    status: str = "pending",
    created_at: datetime | None = None,
    customer: Customer | None = None,
    **values: Any,
) -> BroadcastMessage:
    customer = customer or recipient  # a booking's customer must be passed
    defaults: dict[str, Any] = {
        "organization_id": campaign.organization_id,
        "campaign_id": campaign.id,
        "run_key": "once",
        "recipient_type": "bookings" if isinstance(recipient, Booking) else "customers",
        "recipient_id": str(recipient.id),
        "customer_id": str(customer.id),
        "subject": "S",
        "body": "B",
        "body_short": "b",
        "channels": ["mail"],
        "email": customer.email,
        "status": status,
        "created_at": created_at or T0,
    }
    defaults.update(values)
    return add(BroadcastMessage(**defaults))


def make_sent_email(message: BroadcastMessage) -> BroadcastSentEmail:
    return add(
        BroadcastSentEmail(
            organization_id=message.organization_id,
            message_id=message.id,
            message_id_header=f"<{message.id}@example.com>",
            sender="news@example.com",
            recipient=message.email or "x@example.com",
            subject=message.subject,
            sent_at=T0 + timedelta(seconds=1),
            response="250 OK",
        )
    )


class Statement(str):
    """A SQL statement as sent, with its parameters (``.parameters``)."""

    parameters: Any

    @property
    def skips_rows(self) -> bool:
        """Whether it pages by OFFSET. SQLite writes every LIMIT as ``LIMIT ? OFFSET ?``
        (offset 0), so there the last parameter tells."""
        if "LIMIT ? OFFSET ?" in self:
            return self.parameters[-1] not in (0, -1)
        return "OFFSET" in self.upper()


@contextmanager
def count_queries() -> Iterator[list[Statement]]:
    """Collect the SQL statements run inside the block."""
    statements: list[Statement] = []

    def before(conn, cursor, statement, parameters, context, executemany):  # noqa: ANN001
        recorded = Statement(statement)
        recorded.parameters = parameters
        statements.append(recorded)

    sa.event.listen(db.engine, "before_cursor_execute", before)
    try:
        yield statements
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", before)


# -- HTTP -----------------------------------------------------------------------------------

JSONAPI = "application/vnd.api+json"


class Api:
    """A test client speaking JSON:API as a member of ``org`` (token-a → org-a)."""

    def __init__(self, client: Any, org: str = ORG_A, token: str = "token-a") -> None:
        self.client, self.org, self.token = client, org, token

    def _headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": JSONAPI, "Content-Type": JSONAPI}

    def _url(self, path: str, params: dict[str, Any] | None) -> str:
        from urllib.parse import urlencode

        query = urlencode({"o": self.org, **(params or {})})
        return f"/api{path}?{query}"

    def get(self, path: str, **params: Any):
        return self.client.get(self._url(path, params), headers=self._headers())

    def get_url(self, url: str):
        return self.client.get(url, headers=self._headers())

    def post(self, path: str, document: Any):
        import json

        return self.client.post(self._url(path, None), data=json.dumps(document), headers=self._headers())

    def patch(self, path: str, document: Any):
        import json

        return self.client.patch(self._url(path, None), data=json.dumps(document), headers=self._headers())

    def delete(self, path: str):
        return self.client.delete(self._url(path, None), headers=self._headers())


@pytest.fixture(autouse=True)
def _validate_jsonapi(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.support.jsonapi_validation import enable_jsonapi_validation

    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def api_b(app: Flask) -> Api:
    return Api(app.test_client(), ORG_B, "token-b")
