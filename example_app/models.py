"""The host product's own tables: tenants, people who log in, and the people they serve.

``Customer`` and ``Booking`` are what broadcasts reach, so they implement the
extension's recipient mixins; everything else is ordinary host schema.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Integer, String, Table, UniqueConstraint, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from flask_broadcasts import BookingRecipientMixin, RecipientMixin

from .extensions import db

CUSTOMER_STATUSES = ("active", "inactive", "lead")
BOOKING_STATUSES = ("accepted", "pending", "cancelled")


def utcnow() -> datetime:
    return datetime.now(dt.UTC)


def hash_token(token: str) -> str:
    """The stored form of an API token: a leaked database must not leak usable tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


class Organization(db.Model):
    """A tenant: every customer, booking and community belongs to exactly one."""

    __tablename__ = "organizations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


class User(db.Model):
    """Someone who calls the API on behalf of one or more organizations."""

    __tablename__ = "users"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    tokens: Mapped[list[ApiToken]] = relationship(back_populates="user", cascade="all, delete-orphan")
    memberships: Mapped[list[Membership]] = relationship(back_populates="user", cascade="all, delete-orphan")


class ApiToken(db.Model):
    """A Bearer token of a user; only its SHA-256 hash is stored."""

    __tablename__ = "api_tokens"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="default")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))

    user: Mapped[User] = relationship(back_populates="tokens")

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class Membership(db.Model):
    """A user's access to an organization."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "organization_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    role: Mapped[str] = mapped_column(String(20), default="owner")

    user: Mapped[User] = relationship(back_populates="memberships")
    organization: Mapped[Organization] = relationship()


class Customer(RecipientMixin, db.Model):
    """A customer of an organization, and a broadcast recipient."""

    __tablename__ = "customers"

    broadcast_variables = ("first_name", "last_name", "full_name", "email", "mobile")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str | None] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(320))
    mobile: Mapped[str | None] = mapped_column(String(32))
    locale: Mapped[str | None] = mapped_column(String(35))
    status: Mapped[str] = mapped_column(String(16), default="active")
    #: Whether the customer agreed to marketing broadcasts (the host collects it, e.g. at sign-up).
    marketing_opt_in: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    @property
    def full_name(self) -> str:
        return " ".join(part for part in (self.first_name, self.last_name) if part)

    def broadcast_accepts(self, channel: str) -> bool:
        # The same answer as the sources' consent_criterion, for code that has the object.
        return bool(self.marketing_opt_in)

    def get_variable_bindings(self) -> Mapping[str, Any]:
        return {
            "first_name": self.first_name or "",
            "last_name": self.last_name or "",
            "full_name": self.full_name,
            "email": self.email or "",
            "mobile": self.mobile or "",
        }


class Booking(BookingRecipientMixin, db.Model):
    """A customer's booking of a service on a date, and a broadcast recipient."""

    __tablename__ = "bookings"

    customer_model = Customer  # variables: Customer's + these
    booking_variables = ("booking_date", "service_name", "booking_status")

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id", ondelete="CASCADE"), index=True)
    # ``dt.date``, not ``date``: the column's own name would shadow the type in the annotation.
    date: Mapped[dt.date] = mapped_column(Date)
    service_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default="pending")
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    customer: Mapped[Customer] = relationship()  # read by broadcast_customer

    def get_booking_bindings(self) -> Mapping[str, Any]:
        return {
            "booking_date": self.date.isoformat(),
            "service_name": self.service_name,
            "booking_status": self.status,
        }


community_members = Table(
    "community_members",
    db.metadata,
    Column("community_id", ForeignKey("communities.id", ondelete="CASCADE"), primary_key=True),
    Column("customer_id", ForeignKey("customers.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Community(db.Model):
    """A named group of an organization's customers."""

    __tablename__ = "communities"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organization_id: Mapped[int] = mapped_column(ForeignKey("organizations.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)

    members: Mapped[list[Customer]] = relationship(secondary=community_members, order_by=Customer.id)


__all__ = [
    "BOOKING_STATUSES",
    "CUSTOMER_STATUSES",
    "ApiToken",
    "Booking",
    "Community",
    "Customer",
    "Membership",
    "Organization",
    "User",
    "community_members",
    "hash_token",
]
