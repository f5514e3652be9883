"""The unsubscribe link's consent records: a provider's one-click POST and the page's button
each append one, naming the message, with a keyed HMAC of the requester's IP and never the IP."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime

from flask_broadcasts import get_state
from flask_broadcasts.engine.unsubscribe import public_prefix, unsubscribe_url
from flask_broadcasts.models import BroadcastConsentEvent
from flask_broadcasts.services import consent
from flask_broadcasts.signing import keyed_digest
from tests.support.host_fixtures import ORG_A, db, make_campaign, make_customer, make_message
from tests.support.unsubscribe import local_path


def _link(app, message) -> str:
    return local_path(unsubscribe_url(message, "mail", base=public_prefix(get_state(app).settings)))


def test_one_click_and_page_record_how_and_which_message_never_the_ip(app):
    campaign = make_campaign()
    sent = {"status": "sent", "sent_at": datetime.now(UTC)}  # a link lives 90 days from its sending
    ann = make_message(campaign, make_customer(first_name="Ann"), **sent)
    bob = make_message(campaign, make_customer(first_name="Bob"), **sent)
    client = app.test_client()
    one_click = {"REMOTE_ADDR": "203.0.113.7"}
    assert (
        client.post(_link(app, ann), data={"List-Unsubscribe": "One-Click"}, environ_base=one_click).status_code == 200
    )
    # Following the link again changes nothing: still one record.
    assert (
        client.post(_link(app, ann), data={"List-Unsubscribe": "One-Click"}, environ_base=one_click).status_code == 200
    )
    assert (
        client.post(_link(app, bob), data={"via": "page"}, environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code
        == 200
    )

    records = [
        {name: getattr(r, name) for name in ("address", "action", "method", "reason", "message_id", "ip_hmac")}
        for r in db.session.scalars(consent.list_consent_events(ORG_A).order_by(BroadcastConsentEvent.id.desc()))
    ]
    assert [(r["address"], r["action"], r["method"], r["reason"], r["message_id"]) for r in records] == [
        ("bob@example.com", "withdrawn", "page", "unsubscribed", bob.id),
        ("ann@example.com", "withdrawn", "one_click", "unsubscribed", ann.id),
    ]
    digests = [r["ip_hmac"] for r in records]
    assert all(len(d) == 64 and int(d, 16) >= 0 for d in digests) and digests[0] != digests[1]
    assert not any("203.0.113.7" in str(r) or "198.51.100.2" in str(r) for r in records)
    # Keyed: the same IP gives the same digest (a record can be matched), a plain hash does not.
    assert keyed_digest(consent.IP_DIGEST, "203.0.113.7") == digests[1]
    assert hashlib.sha256(b"203.0.113.7").hexdigest() != digests[1]
