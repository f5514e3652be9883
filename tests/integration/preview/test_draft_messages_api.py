"""GET /broadcast-campaigns/{id}/draft-messages over HTTP."""

from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from flask_broadcasts.models import BroadcastMessage
from tests.support.host_fixtures import (
    ORG_A,
    Booking,
    add,
    db,
    make_audience,
    make_campaign,
    make_customer,
    make_template,
)


def test_drafts_with_includes_and_meta(api):
    ann = make_customer(first_name="Ann", locale="fr")
    bob = make_customer(first_name="Bob", email=None, mobile=None)
    b1 = add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 1)))
    b2 = add(Booking(organization_id=ORG_A, customer_id=bob.id, date=date(2026, 4, 2)))
    campaign = make_campaign(
        template=make_template(binding_type="booking", body_short="{first_name}: {booking_date}"),
        audience=make_audience(audience_type="bookings"),
        status="completed",
    )
    response = api.get(
        f"/broadcast-campaigns/{campaign.id}/draft-messages", include="customer,recipient,campaign", with_counts="true"
    )
    assert response.status_code == 200
    body = response.get_json()
    assert body["meta"] == {"recipient_count": 2, "no_channel_count": 1, "suppressed_count": 0, "no_consent_count": 0}
    first, second = body["data"]
    assert first["id"] == f"draft-{campaign.id}-bookings-{b1.id}"
    assert first["attributes"]["status"] == "draft" and first["attributes"]["subject"] == "Bonjour Ann !"
    assert first["attributes"]["body_short"] == "Ann: 2026-04-01" and first["attributes"]["locale"] == "fr"
    assert first["meta"] == {"sms_encoding": "GSM-7", "sms_segments": 1, "template_locale": "fr"}
    assert second["attributes"]["channels"] == [] and second["attributes"]["error"] == "no_channel"
    assert first["relationships"]["customer"]["data"] == {"type": "customers", "id": str(ann.id)}
    assert {(r["type"], r["id"]) for r in body["included"]} == {
        ("bookings", str(b1.id)),
        ("bookings", str(b2.id)),
        ("customers", str(ann.id)),
        ("customers", str(bob.id)),
        ("broadcast-campaigns", str(campaign.id)),
    }
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 0


def test_locale_is_the_recipients_and_meta_names_the_variant_used(api):
    """``locale`` is the recipient's (the spec); ``meta.template_locale`` the variant of the main text."""
    for name, locale in (("Fr", "fr"), ("Ch", "de_ch"), ("It", "it"), ("None", None)):
        make_customer(first_name=name, locale=locale, mobile=None)
    template = make_template(channels=["mail"], body_i18n={"de": "<p>Hallo {first_name}</p>"})
    body = api.get(f"/broadcast-campaigns/{make_campaign(template=template).id}/draft-messages").get_json()
    seen = [(m["attributes"]["locale"], m["meta"]["template_locale"], m["attributes"]["body"]) for m in body["data"]]
    assert seen == [
        ("fr", None, "<p>Hi Fr </p>"),  # a French subject exists, but the body (the main text) is the default
        ("de-CH", "de", "<p>Hallo Ch</p>"),
        ("it", None, "<p>Hi It </p>"),
        (None, None, "<p>Hi None </p>"),
    ]


def test_at_most_ten(api):
    for i in range(12):
        make_customer(first_name=f"C{i}")
    campaign = make_campaign()
    body = api.get(
        f"/broadcast-campaigns/{campaign.id}/draft-messages", include="recipient", with_counts="true"
    ).get_json()
    assert len(body["data"]) == 10 and body["meta"]["recipient_count"] == 12
    assert len(body["included"]) == 10


def test_the_audience_is_counted_only_when_asked(api):
    """The drafts cost the same at any audience size; the counts grow with it, so they are opt-in."""
    make_customer(first_name="Ann")
    make_customer(first_name="Bob", email=None, mobile=None)
    campaign = make_campaign()
    path = f"/broadcast-campaigns/{campaign.id}/draft-messages"

    plain = api.get(path).get_json()
    assert len(plain["data"]) == 2 and "recipient_count" not in plain.get("meta", {})
    assert "no_channel_count" not in plain.get("meta", {})
    assert api.get(path, with_counts="false").get_json()["data"] == plain["data"]
    assert "recipient_count" not in api.get(path, with_counts="false").get_json().get("meta", {})
    assert api.get(path, with_counts="true").get_json()["meta"] == {
        "recipient_count": 2,
        "no_channel_count": 1,
        "suppressed_count": 0,
        "no_consent_count": 0,
    }

    response = api.get(path, with_counts="yes")
    assert response.status_code == 400
    (error,) = response.get_json()["errors"]
    assert error["source"] == {"parameter": "with_counts"}


def test_sent_email_is_not_an_include_of_drafts(api):
    campaign = make_campaign()
    assert api.get(f"/broadcast-campaigns/{campaign.id}/draft-messages", include="sent_email").status_code == 400


def test_other_organization(api_b):
    campaign = make_campaign()
    assert api_b.get(f"/broadcast-campaigns/{campaign.id}/draft-messages").status_code == 404


def test_includes_follow_the_hosts_own_names(api, renamed_host):
    """Customers called clients, bookings called appointments: linkage and included agree."""
    ann = make_customer(first_name="Ann")
    visit = add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 1)))
    clients = make_campaign(
        template=make_template(binding_type="client"), audience=make_audience(audience_type="clients")
    )
    appointments = make_campaign(
        template=make_template(binding_type="appointment"), audience=make_audience(audience_type="appointments")
    )
    for campaign, recipient in ((clients, ("clients", str(ann.id))), (appointments, ("appointments", str(visit.id)))):
        type_, id_ = recipient
        body = api.get(f"/broadcast-campaigns/{campaign.id}/draft-messages", include="customer,recipient").get_json()
        (draft,) = body["data"]
        assert draft["relationships"]["customer"]["data"] == {"type": "clients", "id": str(ann.id)}
        assert draft["relationships"]["recipient"]["data"] == {"type": type_, "id": id_}
        assert {(r["type"], r["id"]) for r in body["included"]} == {("clients", str(ann.id)), recipient}
