"""flask_broadcasts.services.suppressions: the per-organization list of addresses a channel never
sends to. A user relies on an address being on it once however often or however typed it is
suppressed, each addition leaving one consent record; on the engine's look-ups seeing exactly the
organization's list for the channel; on the API adding only ``manual`` ones; and on a re-subscribe
keeping the record of the unsubscribe before it."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.errors import ConflictError, InvalidInputError, NotFoundError
from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from flask_broadcasts.services import suppressions
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG

OTHER = "org-2"


def _records() -> list[tuple]:
    session = get_state().session
    session.rollback()
    rows = session.execute(
        sa.select(
            BroadcastConsentEvent.address,
            BroadcastConsentEvent.action,
            BroadcastConsentEvent.method,
            BroadcastConsentEvent.message_id,
        ).order_by(BroadcastConsentEvent.id)
    )
    return [tuple(row) for row in rows]


def test_an_address_is_on_the_list_once_and_its_first_addition_is_recorded(app):
    assert suppressions.suppress(ORG, "mail", "Ann@Example.com", "unsubscribed", {"kind": "message", "id": 7})
    assert not suppressions.suppress(ORG, "mail", " ANN@example.COM", "bounced", {"kind": "provider", "id": "x"})
    assert suppressions.suppress(OTHER, "mail", "ann@example.com", "bounced", {"kind": "provider", "id": "x"})
    session = get_state().session
    rows = session.execute(
        sa.select(
            BroadcastSuppression.organization_id, BroadcastSuppression.address, BroadcastSuppression.reason
        ).order_by(BroadcastSuppression.organization_id)
    ).all()
    # The first reason stays: a later report of the same address adds nothing.
    assert [tuple(r) for r in rows] == [(ORG, "ann@example.com", "unsubscribed"), (OTHER, "ann@example.com", "bounced")]
    # The unsubscribe link's message is the record's; a provider's report is method provider.
    assert _records() == [
        ("ann@example.com", "withdrawn", "one_click", 7),
        ("ann@example.com", "withdrawn", "provider", None),
    ]
    with pytest.raises(ValueError):
        suppressions.suppress(ORG, "sms", "0612345678", "sms_stop", {"kind": "provider", "id": None})


def test_the_engines_lookups_see_the_organizations_list_for_the_channel(app):
    session = get_state().session
    assert not suppressions.has_suppressions(session, ORG)
    suppressions.suppress(ORG, "mail", "ann@example.com", "manual", {"kind": "user", "id": None})
    suppressions.suppress(ORG, "sms", "+33612345678", "sms_stop", {"kind": "provider", "id": "SM1"})
    suppressions.suppress(OTHER, "mail", "bob@example.com", "manual", {"kind": "user", "id": None})
    assert suppressions.has_suppressions(session, ORG)
    wanted = ["ann@example.com", "bob@example.com", "+33612345678"]
    assert suppressions.suppressed_addresses(session, ORG, "mail", wanted) == {"ann@example.com"}
    assert suppressions.suppressed_addresses(session, ORG, "sms", wanted) == {"+33612345678"}
    assert suppressions.suppressed_addresses(session, ORG, "mail", []) == set()
    assert suppressions.suppressed_by_channel(
        session, ORG, {"mail": ["ann@example.com", "bob@example.com"], "sms": ["+33612345678"], "push": []}
    ) == {"mail": {"ann@example.com"}, "sms": {"+33612345678"}, "push": set()}


def test_a_claims_hundreds_of_addresses_are_one_parameter_on_postgresql_and_find_the_listed_ones(app, is_postgres):
    """A claim asks about a batch's addresses at once: on PostgreSQL as one array
    (``= ANY``), which SQLAlchemy and psycopg need not expand into hundreds of parameters;
    elsewhere as ``IN``. Either way exactly the organization's listed ones come back."""
    session = get_state().session
    listed = {f"c{n}@example.test" for n in (3, 250, 499)}
    for address in listed:
        suppressions.suppress(ORG, "mail", address, "manual", {"kind": "user", "id": None})
    suppressions.suppress(ORG, "sms", "+33612345678", "sms_stop", {"kind": "provider", "id": "SM1"})
    suppressions.suppress(OTHER, "mail", "c4@example.test", "manual", {"kind": "user", "id": None})
    batch = {f"c{n}@example.test" for n in range(500)}
    statements: list[str] = []
    sa.event.listen(session.get_bind(), "before_cursor_execute", lambda *args: statements.append(args[2]))

    found = suppressions.suppressed_by_channel(session, ORG, {"mail": batch, "sms": {"+33612345678", "+33700000000"}})

    assert found == {"mail": listed, "sms": {"+33612345678"}}
    assert suppressions.suppressed_addresses(session, ORG, "mail", batch) == listed
    assert len(statements) == 2
    if is_postgres:
        # One array parameter per channel: the statement does not grow with the batch.
        assert all("= ANY (" in statement and " IN " not in statement for statement in statements)
        assert all(len(statement) < 600 for statement in statements)
    else:
        assert all(" IN " in statement for statement in statements)


def test_a_user_adds_only_manual_ones_each_problem_at_its_attribute(app):
    created = suppressions.create_suppression(ORG, {"channel": "mail", "address": "Ann@Example.com"}, user_id=5)
    assert (created.address, created.reason, created.source_kind) == ("ann@example.com", "manual", "user")
    with pytest.raises(ConflictError) as conflict:
        suppressions.create_suppression(ORG, {"channel": "mail", "address": "ANN@example.com"})
    assert conflict.value.error_code == "already_suppressed"
    with pytest.raises(InvalidInputError) as refused:
        suppressions.create_suppression(ORG, {"channel": "fax", "reason": "bounced"})
    assert [(e.pointer, e.error_code) for e in refused.value.errors] == [
        ("/data/attributes/channel", "invalid_channel"),
        ("/data/attributes/reason", "invalid_reason"),
        ("/data/attributes/address", "required"),
    ]
    with pytest.raises(InvalidInputError) as refused:
        suppressions.create_suppression(ORG, {"channel": "sms", "address": "06 12 34 56 78"})
    assert refused.value.error_code == "invalid_address" and refused.value.pointer == "/data/attributes/address"


def test_a_resubscribe_takes_the_address_off_and_keeps_the_unsubscribe_on_record(app):
    created = suppressions.create_suppression(ORG, {"channel": "mail", "address": "ann@example.com"})
    with pytest.raises(NotFoundError):  # another organization's suppression is not found, not removed
        suppressions.delete_suppression(OTHER, created.id)
    suppressions.delete_suppression(ORG, created.id, user_id=5)
    session = get_state().session
    assert suppressions.suppressed_addresses(session, ORG, "mail", ["ann@example.com"]) == set()
    assert [(action, method) for _, action, method, _ in _records()] == [("withdrawn", "api"), ("given", "api")]
    # Listing by any form of the address finds nothing left; a new suppression is a new row.
    assert session.scalars(suppressions.list_suppressions(ORG, address="ANN@example.com")).all() == []
    assert suppressions.suppress(ORG, "mail", "ann@example.com", "unsubscribed", {"kind": "message", "id": 1})
    assert [s.reason for s in session.scalars(suppressions.list_suppressions(ORG, address="ANN@example.com"))] == [
        "unsubscribed"
    ]
