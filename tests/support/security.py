"""Fixtures of the hostile-input suite: the example host, two tenants with one of everything,
and a tally of probes and leaks printed at the end of the session.

The database is PostgreSQL when ``DATABASE_URL`` names one (CI runs the suite on both): a
scratch database is created on that server for the session, migrated once, and truncated
before each test. PostgreSQL is stricter than SQLite (NUL bytes, type mismatches in
comparisons), so it finds more. Otherwise the embedded default, SQLite.
"""

from __future__ import annotations

import json
import os
import uuid
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from example_app.extensions import db
from example_app.models import (
    ApiToken,
    Booking,
    Community,
    Customer,
    Membership,
    Organization,
    User,
    community_members,
    hash_token,
)
from flask_broadcasts import models as bm
from tests.support.database import MigratedDatabase
from tests.support.example_fixtures import make_app

MEDIA_TYPE = "application/vnd.api+json"

# -- the tally ------------------------------------------------------------------------------


@dataclass
class Tally:
    """Probes sent and leaks found, by family; printed by ``pytest_terminal_summary``."""

    probes: Counter[str] = field(default_factory=Counter)
    leaks: Counter[str] = field(default_factory=Counter)
    server_errors: Counter[str] = field(default_factory=Counter)
    notes: dict[str, Any] = field(default_factory=dict)

    def probe(self, family: str, *, leaked: bool = False, server_error: bool = False) -> None:
        self.probes[family] += 1
        if leaked:
            self.leaks[family] += 1
        if server_error:
            self.server_errors[family] += 1

    def lines(self) -> list[str]:
        lines = []
        for family in sorted(self.probes):
            lines.append(
                f"{family:<28} probes {self.probes[family]:>6}   leaks {self.leaks[family]:>3}"
                f"   5xx {self.server_errors[family]:>3}"
            )
        lines.append(
            f"{'TOTAL':<28} probes {sum(self.probes.values()):>6}   leaks {sum(self.leaks.values()):>3}"
            f"   5xx {sum(self.server_errors.values()):>3}"
        )
        for key, value in sorted(self.notes.items()):
            lines.append(f"{key}: {value}")
        return lines


TALLY = Tally()


@pytest.fixture(scope="session")
def tally() -> Tally:
    return TALLY


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not TALLY.probes:
        return
    terminalreporter.section("hostile-input tally")
    for line in TALLY.lines():
        terminalreporter.write_line(line)
    out = os.environ.get("SECURITY_TALLY_FILE")
    if out:
        Path(out).write_text(
            json.dumps(
                {
                    "probes": dict(TALLY.probes),
                    "leaks": dict(TALLY.leaks),
                    "server_errors": dict(TALLY.server_errors),
                    "notes": TALLY.notes,
                },
                indent=2,
                default=str,
            )
        )


# -- database and app -----------------------------------------------------------------------


@pytest.fixture(scope="session")
def security_database(example_app_database: MigratedDatabase, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The suite's example-app database (tests/support/database.py) for this session; on
    SQLite a copy of its own, so the rows left here never reach the template other suites copy."""
    return example_app_database.for_test(tmp_path_factory.mktemp("security"), "security.db")


def empty_tables() -> None:
    tables = list(reversed(db.metadata.sorted_tables))
    extension = list(reversed(bm.metadata.sorted_tables))
    # DELETE, not TRUNCATE: on a handful of rows it is far cheaper (no table rewrite, no
    # ACCESS EXCLUSIVE lock), which keeps the suite under its time budget.
    for table in [*extension, *tables]:
        db.session.execute(table.delete())
    db.session.commit()


def build_app(database_uri: str, **overrides: Any) -> Flask:
    return make_app(database_uri, **overrides)


@pytest.fixture
def app(security_database: str) -> Iterator[Flask]:
    app = build_app(security_database)
    with app.app_context():
        empty_tables()
        yield app
        db.session.remove()
        db.engine.dispose()


# -- two tenants with one of everything -----------------------------------------------------

HOSTILE_NAME = "<script>alert(1)</script><img src=x onerror=alert(2)>"
HOSTILE_LAST = "javascript:alert(3)"


@dataclass
class TenantWorld:
    """One organization, its member's token and one row of every resource (ids as strings)."""

    org: str
    token: str
    user_id: int
    customer: str
    booking: str
    community: str
    template: str
    audience: str
    community_audience: str
    campaign: str
    running_campaign: str
    file: str
    message: str
    suppression: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}", "Accept": MEDIA_TYPE, "Content-Type": MEDIA_TYPE}


def _tenant(name: str, hostile: bool = False) -> TenantWorld:
    session = db.session
    organization = Organization(name=name)
    user = User(email=f"{name.lower()}@example.com", name=name)
    token = f"token-{uuid.uuid4().hex}"
    user.tokens.append(ApiToken(token_hash=hash_token(token)))
    session.add_all([organization, user])
    session.flush()
    session.add(Membership(user_id=user.id, organization_id=organization.id))
    org = organization.id
    customer = Customer(
        organization_id=org,
        first_name=HOSTILE_NAME if hostile else "Ann",
        last_name=HOSTILE_LAST if hostile else "Lee",
        email=f"ann.{name.lower()}@example.com",
        mobile="+33612345678",
        locale="en",
    )
    session.add(customer)
    session.flush()
    booking = Booking(
        organization_id=org,
        customer_id=customer.id,
        date=datetime(2026, 4, 1).date(),
        service_name="Massage",
        status="accepted",
    )
    community = Community(organization_id=org, name=f"{name} club")
    session.add_all([booking, community])
    session.flush()
    session.execute(community_members.insert().values(community_id=community.id, customer_id=customer.id))
    o = str(org)
    template = bm.BroadcastTemplate(
        organization_id=o,
        name=f"{name} template",
        subject="Hello {first_name}",
        body="<p>Hi {first_name} {last_name}</p>",
        body_short="Hi {first_name}",
        action_label="Open",
        action_url="https://example.com/{first_name}",
        channels=["mail", "sms"],
        binding_type="customer",
    )
    audience = bm.BroadcastAudience(organization_id=o, name=f"{name} all", audience_type="customers", filters={})
    community_audience = bm.BroadcastAudience(
        organization_id=o, name=f"{name} club", audience_type="community", filters={}, community_id=str(community.id)
    )
    session.add_all([template, audience, community_audience])
    session.flush()
    campaign = bm.BroadcastCampaign(
        organization_id=o,
        name=f"{name} draft",
        template_id=template.id,
        audience_id=audience.id,
        recurring=False,
        timezone="UTC",
    )
    running = bm.BroadcastCampaign(
        organization_id=o,
        name=f"{name} running",
        template_id=template.id,
        audience_id=audience.id,
        recurring=False,
        timezone="UTC",
        status="in-progress",
        run_key="run-1",
    )
    file = bm.BroadcastFile(
        organization_id=o,
        template_id=template.id,
        filename="a.txt",
        content_type="text/plain",
        size=5,
        storage_key=f"key-{uuid.uuid4().hex}",
    )
    session.add_all([campaign, running, file])
    session.add(bm.BroadcastFileBlob(key=file.storage_key, data=b"hello"))
    session.flush()
    message = bm.BroadcastMessage(
        organization_id=o,
        campaign_id=running.id,
        run_key="run-1",
        recipient_type="customers",
        recipient_id=str(customer.id),
        customer_id=str(customer.id),
        subject="Hello",
        body="<p>Hi</p>",
        body_short="Hi",
        channels=["mail"],
        email=customer.email,
        status="delivered",
        created_at=datetime(2026, 3, 1, tzinfo=UTC),
    )
    session.add(message)
    session.flush()
    session.add(
        bm.BroadcastSentEmail(
            organization_id=o,
            message_id=message.id,
            message_id_header=f"<{message.id}@example.com>",
            sender="news@example.com",
            recipient=customer.email,
            subject="Hello",
            sent_at=datetime(2026, 3, 1, tzinfo=UTC) + timedelta(seconds=1),
            response="250 OK",
        )
    )
    suppression = bm.BroadcastSuppression(
        organization_id=o,
        channel="mail",
        address=f"gone.{name.lower()}@example.com",
        reason="manual",
        source_kind="user",
    )
    session.add(suppression)
    session.commit()
    return TenantWorld(
        org=o,
        token=token,
        user_id=user.id,
        customer=str(customer.id),
        booking=str(booking.id),
        community=str(community.id),
        template=str(template.id),
        audience=str(audience.id),
        community_audience=str(community_audience.id),
        campaign=str(campaign.id),
        running_campaign=str(running.id),
        file=str(file.id),
        message=str(message.id),
        suppression=str(suppression.id),
    )


@dataclass
class World:
    a: TenantWorld
    b: TenantWorld


@pytest.fixture
def world(app: Flask) -> World:
    return World(a=_tenant("Acme", hostile=True), b=_tenant("Globex"))


def make_world() -> World:
    return World(a=_tenant("Acme", hostile=True), b=_tenant("Globex"))


# -- counting rows --------------------------------------------------------------------------

COUNTED = (
    bm.BroadcastTemplate,
    bm.BroadcastFile,
    bm.BroadcastFileBlob,
    bm.BroadcastAudience,
    bm.BroadcastCampaign,
    bm.BroadcastMessage,
    bm.BroadcastRun,
)


def row_counts() -> dict[str, int]:
    """Rows per extension table (nothing half-written: compare before and after)."""
    db.session.rollback()
    return {m.__tablename__: db.session.scalar(select(func.count()).select_from(m)) for m in COUNTED}


def snapshot(model: type, pk: str) -> dict[str, Any] | None:
    """A row's column values, read fresh from the database."""
    db.session.rollback()
    db.session.expire_all()
    row = db.session.get(model, int(pk))
    if row is None:
        return None
    return {c.key: getattr(row, c.key) for c in row.__table__.columns}


ClientFactory = Callable[[], Any]
