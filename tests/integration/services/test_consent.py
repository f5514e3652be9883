"""flask_broadcasts.services.consent: the append-only consent history. A user relies on a record
keeping the address in its stored form and the requester's IP only as a keyed digest, on a
record it cannot stand behind (unknown action, unusable address) never being written, and on
reading back only the organization's own records, by an address typed any way."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.models import BroadcastConsentEvent
from flask_broadcasts.services import consent
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG

OTHER = "org-2"


def _count() -> int:
    session = get_state().session
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(BroadcastConsentEvent))


def test_a_record_keeps_the_stored_address_and_only_a_keyed_digest_of_the_ip(app):
    first = consent.record(
        ORG, "mail", " Ann@Example.COM ", "withdrawn", "page", reason="unsubscribed", user_id=42, ip="203.0.113.9"
    )
    again = consent.record(ORG, "mail", "ann@example.com", "given", "api", ip="203.0.113.9")
    other_ip = consent.record(ORG, "mail", "ann@example.com", "given", "api", ip="198.51.100.1")
    stored = consent.get_consent_event(ORG, first.id)
    assert (stored.address, stored.action, stored.method, stored.reason) == (
        "ann@example.com",
        "withdrawn",
        "page",
        "unsubscribed",
    )
    assert stored.user_id == "42" and stored.created_at is not None
    # The same IP gives the same digest (records can be matched), never the IP itself.
    assert stored.ip_hmac == again.ip_hmac != other_ip.ip_hmac
    assert "203.0.113.9" not in stored.ip_hmac and len(stored.ip_hmac) == 64
    assert consent.record(ORG, "sms", "+33 6 12 34 56 78", "help", "provider").ip_hmac is None


@pytest.mark.parametrize(
    ("channel", "address", "action", "method", "reason"),
    [
        ("mail", "ann@example.com", "deleted", "api", None),
        ("mail", "ann@example.com", "withdrawn", "telepathy", None),
        ("mail", "ann@example.com", "withdrawn", "api", "bored"),
        ("mail", "not an address", "withdrawn", "api", None),
        ("sms", "06 12 34 56 78", "withdrawn", "api", None),
    ],
)
def test_a_record_it_cannot_stand_behind_is_refused_and_nothing_is_written(
    app, channel, address, action, method, reason
):
    with pytest.raises(ValueError):
        consent.record(ORG, channel, address, action, method, reason=reason)
    assert _count() == 0


def test_a_record_without_commit_goes_with_the_callers_transaction(app):
    consent.record(ORG, "mail", "ann@example.com", "withdrawn", "import", commit=False)
    get_state().session.rollback()  # the caller's work failed: no record of what did not happen
    assert _count() == 0


def test_only_the_organizations_own_records_are_read_by_an_address_typed_any_way(app):
    mine = consent.record(ORG, "mail", "ann@example.com", "withdrawn", "page")
    consent.record(ORG, "sms", "+33612345678", "withdrawn", "provider")
    theirs = consent.record(OTHER, "mail", "ann@example.com", "withdrawn", "page")
    session = get_state().session

    def ids(**filters):
        return session.scalars(consent.list_consent_events(ORG, **filters)).all()

    assert [e.id for e in ids(address="ANN@example.com")] == [mine.id]
    assert [e.address for e in ids(address="+33 6 12 34 56 78")] == ["+33612345678"]
    assert [e.channel for e in ids(channel="sms")] == ["sms"]
    assert ids(address="ann@example.com", channel="sms") == []
    assert ids(action="given") == [] and len(ids(method="page")) == 1
    # Another organization's record answers as a missing one: its ids cannot be probed.
    with pytest.raises(NotFoundError):
        consent.get_consent_event(ORG, theirs.id)
    with pytest.raises(NotFoundError):
        consent.get_consent_event(ORG, "nope")
