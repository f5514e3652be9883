"""Demo data: organizations with an owner and token, customers, bookings and a community.

Rows go in with bulk ``INSERT``s (SQLAlchemy's insertmanyvalues), so a hundred
thousand customers take seconds. Each call adds new organizations, so seeding an
existing database never collides with what is there.
"""

from __future__ import annotations

import datetime as dt
import random
import unicodedata
from typing import Any

from sqlalchemy import Table, func, insert, select

from .auth import new_token
from .extensions import db
from .models import (
    BOOKING_STATUSES,
    ApiToken,
    Booking,
    Community,
    Customer,
    Membership,
    Organization,
    User,
    community_members,
    hash_token,
    utcnow,
)

ORGANIZATION_NAMES = ("Acme Yoga", "Boulangerie Dupont")
FIRST_NAMES = ("Ada", "Alan", "Grace", "Émile", "Chloé", "Jürgen", "Lucía", "Mateo", "Noor", "Yuki", "Olivia", "Léa")
LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Durand", "Tremblay", "Müller", "García", "Okafor", "Sato", "Smith")
SERVICES = ("Yoga class", "Massage", "Haircut", "Consultation", "Bread workshop")
# (locale, weight, mobile prefix, digits after it); None: the customer never said.
LOCALES = (
    ("en", 30, "+447700", 6),
    ("fr", 25, "+336", 8),
    ("fr-CA", 10, "+1514", 7),
    ("de", 10, "+4915", 9),
    ("es", 10, "+346", 8),
    (None, 15, "+447700", 6),
)
CUSTOMER_STATUS_WEIGHTS = (("active", 70), ("inactive", 15), ("lead", 15))


def _ascii(text: str) -> str:
    # "Chloé" → "chloe": keep the demo addresses plain ASCII (no SMTPUTF8 needed).
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _customer_rows(rng: random.Random, organization_id: int, count: int, tag: str) -> list[dict[str, Any]]:
    rows = []
    now = utcnow()
    weights = [entry[1] for entry in LOCALES]
    for n in range(count):
        locale, _, prefix, digits = rng.choices(LOCALES, weights=weights)[0]
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        rows.append(
            {
                "organization_id": organization_id,
                "first_name": first,
                "last_name": last,
                # ~10% without e-mail, ~15% without mobile: audiences must cope with both.
                "email": None if rng.random() < 0.10 else f"{_ascii(first)}.{_ascii(last)}.{tag}.{n}@example.com",
                "mobile": None if rng.random() < 0.15 else f"{prefix}{rng.randrange(10**digits):0{digits}d}",
                "locale": locale,
                "status": rng.choices(*zip(*CUSTOMER_STATUS_WEIGHTS, strict=True))[0],
                # One customer in eight said no to marketing: broadcasts keep them out (no_consent).
                # Not drawn from rng, so the other columns of a seeded rng stay what they were.
                "marketing_opt_in": n % 8 != 7,
                "created_at": now,
            }
        )
    return rows


def _seed_organization(rng: random.Random, name: str, customers: int) -> dict[str, Any]:
    organization = Organization(name=name)
    db.session.add(organization)
    db.session.flush()
    token = new_token()
    user = User(email=f"owner.org{organization.id}@example.com", name=f"Owner of {name}")
    user.tokens.append(ApiToken(token_hash=hash_token(token), name="seed"))
    db.session.add(user)
    db.session.flush()
    db.session.add(Membership(user_id=user.id, organization_id=organization.id, role="owner"))

    tag = f"o{organization.id}"
    if customers:
        bulk_insert(Customer.__table__, _customer_rows(rng, organization.id, customers, tag))
    customer_ids = db.session.scalars(
        select(Customer.id).where(Customer.organization_id == organization.id).order_by(Customer.id)
    ).all()

    today, now = dt.date.today(), utcnow()
    booked = rng.sample(customer_ids, k=len(customer_ids) // 2) if customer_ids else []
    if booked:
        bulk_insert(
            Booking.__table__,
            [
                {
                    "organization_id": organization.id,
                    "customer_id": customer_id,
                    "date": today + dt.timedelta(days=rng.randint(-30, 30)),
                    "service_name": rng.choice(SERVICES),
                    "status": rng.choice(BOOKING_STATUSES),
                    "created_at": now,
                }
                for customer_id in sorted(booked)
            ],
        )

    community = Community(organization_id=organization.id, name=f"{name} regulars")
    db.session.add(community)
    db.session.flush()
    members = rng.sample(customer_ids, k=max(1, len(customer_ids) // 5)) if customer_ids else []
    if members:
        bulk_insert(
            community_members,
            [{"community_id": community.id, "customer_id": customer_id} for customer_id in sorted(members)],
        )
    return {"id": organization.id, "name": organization.name, "token": token}


def bulk_insert(table: Table, rows: list[dict[str, Any]]) -> None:
    """Insert ``rows`` into ``table`` in the session's transaction, as fast as the database allows.

    PostgreSQL gets ``COPY`` (an order of magnitude faster than multi-row ``INSERT``
    for 100k rows); other databases a Core ``executemany``, which skips the ORM's
    per-row bookkeeping. Rows must carry every column (``COPY`` applies no Python defaults).
    """
    if not rows:
        return
    connection = db.session.connection()
    columns = list(rows[0])
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        cursor = connection.connection.driver_connection.cursor()
        column_list = ", ".join(f'"{name}"' for name in columns)
        with cursor.copy(f'COPY "{table.name}" ({column_list}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([row[name] for name in columns])
        return
    connection.execute(insert(table), rows)


def seed(customers: int = 50, *, rng: random.Random | None = None) -> dict[str, Any]:
    """Add new demo organizations and return them with their (only) plain-text tokens."""
    rng = rng or random.Random()
    # A number no existing organization name uses, so every run adds new ones.
    next_number = (db.session.scalar(select(func.max(Organization.id))) or 0) + 1
    organizations = [
        _seed_organization(rng, f"{base} #{next_number + offset}", customers)
        for offset, base in enumerate(ORGANIZATION_NAMES)
    ]
    db.session.commit()
    return {"organizations": organizations}
