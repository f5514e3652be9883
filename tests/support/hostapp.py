"""A tiny host app for the sending tests: customers, bookings, communities (test-local models).

Worker and web subprocesses load it with ``FLASK_APP=tests.support.hostapp:create_app``
(``gunicorn -k gthread 'tests.support.hostapp:create_app()'`` for the fault suite's web
process; tokens ``token-org-1`` and ``token-org-2``, each a member of one organization); the
configuration comes from the environment (``DATABASE_URL``, ``REDIS_URL``, ``MAIL_PORT``,
``BCAST_TEST_CONFIG`` — a JSON object of extra config keys).
"""

from __future__ import annotations

import json
import os
from typing import Any

import marshmallow as ma
import sqlalchemy as sa
from flask import Flask
from flask_sqlalchemy import SQLAlchemy
from sqlalchemy.orm import selectinload

from example_app.config import configure_engine
from flask_broadcasts import AudienceSource, BookingRecipientMixin, Broadcasts, CommunitySource, RecipientMixin

db = SQLAlchemy()


class Customer(RecipientMixin, db.Model):
    __tablename__ = "t_customers"
    broadcast_variables = ("first_name", "last_name")
    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.String(64), nullable=False, index=True)
    first_name = sa.Column(sa.String(50))
    last_name = sa.Column(sa.String(50))
    email = sa.Column(sa.String(200))
    mobile = sa.Column(sa.String(32))
    locale = sa.Column(sa.String(16))
    # The mixin's broadcast_timezone reads it: quiet hours and local delivery times (tests/integration/pacing).
    timezone = sa.Column(sa.String(64))
    active = sa.Column(sa.Boolean, default=True)
    community_id = sa.Column(sa.Integer, nullable=True)

    def get_variable_bindings(self) -> dict[str, Any]:
        return {"first_name": self.first_name, "last_name": self.last_name}


class Booking(BookingRecipientMixin, db.Model):
    __tablename__ = "t_bookings"
    customer_model = Customer
    booking_variables = ("booking_ref",)
    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.String(64), nullable=False, index=True)
    customer_id = sa.Column(sa.ForeignKey(Customer.id), nullable=False)
    status = sa.Column(sa.String(16), default="accepted")
    customer = db.relationship(Customer)

    def get_booking_bindings(self) -> dict[str, Any]:
        return {"booking_ref": f"B-{self.id}"}


class Community(db.Model):
    __tablename__ = "t_communities"
    id = sa.Column(sa.Integer, primary_key=True)
    organization_id = sa.Column(sa.String(64), nullable=False)
    name = sa.Column(sa.String(50))


def customer_filters(stmt: sa.Select, filters: Any, organization_id: str) -> sa.Select:
    stmt = stmt.where(Customer.organization_id == organization_id)
    if "active" in filters:
        stmt = stmt.where(Customer.active.is_(bool(filters["active"])))
    return stmt.order_by(Customer.id)


def booking_filters(stmt: sa.Select, filters: Any, organization_id: str) -> sa.Select:
    stmt = stmt.where(Booking.organization_id == organization_id)
    if "status" in filters:
        stmt = stmt.where(Booking.status == filters["status"])
    return stmt.order_by(Booking.id)


def community_members(stmt: sa.Select, community_id: str, organization_id: str) -> sa.Select:
    return stmt.where(Customer.organization_id == organization_id, Customer.community_id == int(community_id)).order_by(
        Customer.id
    )


class CustomerFilters(ma.Schema):
    active = ma.fields.Boolean()


class BookingFilters(ma.Schema):
    status = ma.fields.String()


def _serialize(obj: Any) -> dict[str, Any]:
    return {"type": "x", "id": str(obj.id)}


broadcasts = Broadcasts(db=db)
broadcasts.add_audience_source(
    AudienceSource("customers", Customer, "customers", customer_filters, CustomerFilters, _serialize)
)
broadcasts.add_audience_source(
    AudienceSource(
        "bookings",
        Booking,
        "bookings",
        booking_filters,
        BookingFilters,
        _serialize,
        load_options=(selectinload(Booking.customer),),
    )
)
broadcasts.set_community_source(
    CommunitySource(Community, lambda cid, org: db.session.get(Community, int(cid)), community_members, _serialize)
)

#: Bearer token → the one organization it is a member of (the web processes of the fault suite).
TOKENS = {"token-org-1": "org-1", "token-org-2": "org-2"}


@broadcasts.token_loader
def load_principal(token: str) -> str | None:
    return token if token in TOKENS else None


@broadcasts.organization_access
def may_access(principal: str, organization_id: str) -> bool:
    return TOKENS.get(principal) == organization_id


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask("hostapp")
    app.config.update(
        SQLALCHEMY_DATABASE_URI=os.environ.get("DATABASE_URL") or "sqlite:///" + os.environ["BCAST_TEST_SQLITE"],
        REDIS_URL=os.environ.get("REDIS_URL"),
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=int(os.environ.get("MAIL_PORT", "25")),
        MAIL_DEFAULT_SENDER=("Acme News", "news@acme.test"),
        MAIL_SUPPRESS_SEND=False,
        SECRET_KEY="hostapp-secret",
        BROADCASTS_PUBLIC_URL="https://app.example.test",
        BROADCASTS_BATCH_SIZE=50,
        BROADCASTS_INSERT_CHUNK=100,
        BROADCASTS_RETRY_INTERVALS=(1,),
        BROADCASTS_RETRY_MAX=5,
        # SMS at any hour: the sending tests are not about quiet hours (tests/integration/pacing is,
        # and sets its own); with the 08:00-21:00 default they would pass or fail by the hour.
        BROADCASTS_SMS_DEFAULT_WINDOW=None,
    )
    if os.environ.get("SQLALCHEMY_ENGINE_OPTIONS"):
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = json.loads(os.environ["SQLALCHEMY_ENGINE_OPTIONS"])
    app.config.update(json.loads(os.environ.get("BCAST_TEST_CONFIG") or "{}"))
    app.config.update(config or {})
    db.init_app(app)
    with app.app_context():
        configure_engine(db.engine)  # WAL + busy timeout: the test and its workers share the file
    broadcasts.init_app(app)
    if app.config.get("TEST_SIGNAL_LOG"):
        from .signal_log import connect

        connect(app.config["TEST_SIGNAL_LOG"])
    return app
