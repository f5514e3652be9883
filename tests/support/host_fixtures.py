"""Fixtures on the small host (``tests/support/host.py``): a fresh app per test on the suite
database (``tests/support/database.py``: the extension's tables by its Alembic revisions, the
host's test-only tables created directly; no rows left from other tests), builders of rows,
and a JSON:API test client.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import sqlalchemy as sa
from flask import Flask
from flask.testing import FlaskClient

from flask_broadcasts import get_state
from flask_broadcasts.models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastSentEmail,
    BroadcastTemplate,
)
from tests.support.database import MigratedDatabase
from tests.support.host import (
    ORG,
    ORG_A,
    ORG_B,
    OTHER_ORG,
    Booking,
    Community,
    Customer,
    bookings_source,
    community_members,
    community_source,
    customers_source,
    db,
    make_app,
)
from tests.support.jsonapi_validation import check_response, enable_jsonapi_validation

# The host's names beside its fixtures: a suite imports what it uses from one place.
__all__ = [
    "ORG",
    "ORG_A",
    "ORG_B",
    "OTHER_ORG",
    "Booking",
    "Community",
    "Customer",
    "community_members",
    "db",
    "make_app",
]


@pytest.fixture
def database_uri(host_database: MigratedDatabase, tmp_path: Path) -> str:
    """The schema with no rows, private to this test."""
    return host_database.for_test(tmp_path)


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:
    app = make_app(database_uri)
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
        query = urlencode({"o": self.org, **(params or {})})
        return f"/api{path}?{query}"

    def get(self, path: str, **params: Any):
        return self.client.get(self._url(path, params), headers=self._headers())

    def get_url(self, url: str):
        return self.client.get(url, headers=self._headers())

    def post(self, path: str, document: Any):
        return self.client.post(self._url(path, None), data=json.dumps(document), headers=self._headers())

    def patch(self, path: str, document: Any):
        return self.client.patch(self._url(path, None), data=json.dumps(document), headers=self._headers())

    def delete(self, path: str):
        return self.client.delete(self._url(path, None), headers=self._headers())


@pytest.fixture(autouse=True)
def _validate_jsonapi(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every answer under /api a valid JSON:API document (any other content type fails)."""
    enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))


@pytest.fixture
def api(app: Flask) -> Api:
    return Api(app.test_client())


@pytest.fixture
def api_b(app: Flask) -> Api:
    return Api(app.test_client(), ORG_B, "token-b")


def headers(token: str = "alice") -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Content-Type": JSONAPI, "Accept": JSONAPI}


@pytest.fixture
def validate_responses(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every response under /api must be a valid JSON:API document, except file bytes
    and the OpenAPI document."""
    original = FlaskClient.open

    def open_and_check(self: FlaskClient, *args: Any, **kwargs: Any) -> Any:
        response = original(self, *args, **kwargs)
        path = response.request.path
        if not (response.status_code == 200 and (path.endswith("/content") or "broadcasts-docs" in path)):
            check_response(response, ("/api",))
        return response

    monkeypatch.setattr(FlaskClient, "open", open_and_check)


@pytest.fixture
def client(app: Flask, validate_responses: None) -> FlaskClient:
    return app.test_client()
