"""Tests of flask_broadcasts.api.test_sends and flask_broadcasts.engine.test_sends.

``/broadcast-test-sends``: a campaign's message sent at once to a few addresses, through the
real SMTP channel (a server on loopback), never counted, limited per organization per hour."""

from __future__ import annotations

import email.header

import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastMessage
from flask_broadcasts.state import get_state
from tests.support.host_fixtures import db, make_audience, make_campaign, make_customer, make_template
from tests.support.smtp import SmtpServer


@pytest.fixture
def smtp(app):
    server = SmtpServer().start()
    app.config.update(
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=server.port,
        MAIL_DEFAULT_SENDER=("News", "news@acme.test"),
        MAIL_SUPPRESS_SEND=False,  # TESTING would suppress it
    )
    yield server
    server.stop()


def _document(campaign, to, recipient=None):
    relationships = {"campaign": {"data": {"type": "broadcast-campaigns", "id": str(campaign.id)}}}
    if recipient is not None:
        relationships["recipient"] = {"data": recipient}
    return {"data": {"type": "broadcast-test-sends", "attributes": {"to": to}, "relationships": relationships}}


def _subject(received) -> str:
    return str(email.header.make_header(email.header.decode_header(received.message["Subject"])))


def test_a_draft_sends_to_two_addresses_with_its_first_members_bindings(api, smtp):
    make_customer(first_name="Ann")
    make_customer(first_name="Bob")
    campaign = make_campaign()  # a draft
    answer = api.post("/broadcast-test-sends", _document(campaign, ["me@example.org", "boss@example.org"]))
    assert answer.status_code == 201, answer.json
    data = answer.json["data"]
    assert data["attributes"]["results"] == [
        {"to": "me@example.org", "channel": "mail", "status": "sent", "error": None},
        {"to": "boss@example.org", "channel": "mail", "status": "sent", "error": None},
    ]
    assert data["relationships"]["campaign"]["data"] == {"type": "broadcast-campaigns", "id": str(campaign.id)}
    assert data["relationships"]["recipient"]["data"]["type"] == "customers"
    assert sorted(smtp.recipients()) == ["boss@example.org", "me@example.org"]
    assert {_subject(m) for m in smtp.received} == {"[Test] Hello Ann!"}
    # Stored and readable; not a message, not counted, the campaign still a draft.
    again = api.get_url(answer.headers["Location"])
    assert again.status_code == 200 and again.json["data"]["attributes"] == data["attributes"]
    db.session.expire_all()
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 0
    campaign = db.session.get(type(campaign), campaign.id)
    assert (campaign.status, campaign.sent_count, campaign.total_count) == ("draft", 0, 0)


def test_a_named_member_gives_the_bindings_and_a_refusal_is_a_result(api, smtp):
    make_customer(first_name="Ann")
    bob = make_customer(first_name="Bob")
    campaign = make_campaign()
    document = _document(
        campaign, ["refuse-me@example.org", "+33612345678", "me@example.org"], {"type": "customers", "id": str(bob.id)}
    )
    answer = api.post("/broadcast-test-sends", document)
    assert answer.status_code == 201, answer.json
    refused, sms, sent = answer.json["data"]["attributes"]["results"]
    assert (refused["status"], refused["channel"]) == ("refused", "mail")
    assert "550 5.7.1" in refused["error"]
    assert (sms["channel"], sms["status"]) == ("sms", "sent")  # the logging provider accepts
    assert sent["status"] == "sent"
    assert [_subject(m) for m in smtp.received] == ["[Test] Hello Bob!"]


def test_an_empty_audience_renders_with_no_bindings(api, smtp):
    campaign = make_campaign()
    answer = api.post("/broadcast-test-sends", _document(campaign, ["me@example.org"]))
    assert answer.status_code == 201, answer.json
    assert answer.json["data"]["relationships"]["recipient"]["data"] is None
    assert [_subject(m) for m in smtp.received] == ["[Test] Hello !"]


@pytest.mark.parametrize(
    ("to", "pointer", "code"),
    [
        (["me@example.org", "not an address"], "/data/attributes/to/1", "invalid_test_address"),
        (["+33 1 23"], "/data/attributes/to/0", "invalid_test_address"),
        ([], "/data/attributes/to", "invalid_test_addresses"),
        ([f"a{i}@example.org" for i in range(11)], "/data/attributes/to", "invalid_test_addresses"),
        (["+33612345678"], "/data/attributes/to/0", "channel_not_in_template"),
    ],
)
def test_bad_addresses_are_422_at_their_index(api, smtp, to, pointer, code):
    campaign = make_campaign(template=make_template(channels=["mail"]))
    answer = api.post("/broadcast-test-sends", _document(campaign, to))
    assert answer.status_code == 422, answer.json
    (error,) = answer.json["errors"]
    assert (error["source"]["pointer"], error["code"]) == (pointer, code)
    assert smtp.received == []


def test_a_recipient_outside_the_audience_is_a_404(api, smtp):
    campaign = make_campaign(audience=make_audience(filters={}))
    stranger = make_customer(org="org-b", first_name="Eve")
    answer = api.post(
        "/broadcast-test-sends", _document(campaign, ["me@example.org"], {"type": "customers", "id": str(stranger.id)})
    )
    assert answer.status_code == 404
    assert answer.json["errors"][0]["source"]["pointer"] == "/data/relationships/recipient/data"
    assert smtp.received == []


def test_the_hourly_limit_is_a_429_with_retry_after_per_organization(app, api, api_b, smtp):
    get_state(app).settings.test_send_limit = 2
    campaign = make_campaign()
    for _ in range(2):
        assert api.post("/broadcast-test-sends", _document(campaign, ["me@example.org"])).status_code == 201
    answer = api.post("/broadcast-test-sends", _document(campaign, ["me@example.org"]))
    assert answer.status_code == 429, answer.json
    assert answer.json["errors"][0]["code"] == "test_send_limit"
    assert 3500 < int(answer.headers["Retry-After"]) <= 3600
    assert len(smtp.received) == 2
    # Another organization has its own hour (and cannot see these).
    other = make_campaign(org="org-b")
    assert api_b.post("/broadcast-test-sends", _document(other, ["me@example.org"])).status_code == 201
    assert api_b.get("/broadcast-test-sends/1").status_code == 404
    assert api_b.post("/broadcast-test-sends", _document(campaign, ["me@example.org"])).status_code == 404


def test_a_suppressed_address_is_refused_in_the_results_and_the_others_get_a_harmless_link(api, smtp):
    from flask_broadcasts.services.suppressions import suppress

    make_customer(first_name="Ann")
    campaign = make_campaign(template=make_template(body="<p>Hi {first_name}</p><a href='{unsubscribe_url}'>stop</a>"))
    suppress("org-a", "mail", "Gone@Example.org", "manual", {"kind": "user", "id": None})

    answer = api.post("/broadcast-test-sends", _document(campaign, ["gone@example.org", "me@example.org"]))

    assert answer.status_code == 201, answer.json
    assert answer.json["data"]["attributes"]["results"] == [
        {
            "to": "gone@example.org",
            "channel": "mail",
            "status": "suppressed",
            "error": "on the organization's suppression list",
        },
        {"to": "me@example.org", "channel": "mail", "status": "sent", "error": None},
    ]
    assert smtp.recipients() == ["me@example.org"]
    (received,) = smtp.received
    # No message stands behind a test send: its link is one the unsubscribe page refuses.
    assert received.message["List-Unsubscribe"] == "<https://app.example.test/api/broadcast-unsubscribe/test-send>"
    part = next(p for p in received.message.walk() if p.get_content_type() == "text/html")
    html = part.get_payload(decode=True).decode()
    assert "href='https://app.example.test/api/broadcast-unsubscribe/test-send'" in html


def test_with_a_bounce_address_a_test_send_goes_out_from_it_and_its_refusal_suppresses_nothing(app, api, smtp):
    from flask_broadcasts.models import BroadcastSuppression

    get_state(app).settings.bounce_address = "bounces@example.org"
    make_customer(first_name="Ann")
    campaign = make_campaign()
    answer = api.post("/broadcast-test-sends", _document(campaign, ["nosuchuser@example.org", "me@example.org"]))
    assert answer.status_code == 201, answer.json
    bounced, sent = answer.json["data"]["attributes"]["results"]
    assert (bounced["status"], sent["status"]) == ("refused", "sent")
    assert "550 5.1.1" in bounced["error"]
    # The bare bounce address (no VERP token: a test send is no stored message).
    assert [m.mail_from for m in smtp.received] == ["bounces@example.org"]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSuppression)) == 0
