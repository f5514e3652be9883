"""engine.preview against customers, bookings and community audiences."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.preview import preview
from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage
from tests.support.host_fixtures import (
    ORG_A,
    ORG_B,
    Booking,
    Community,
    add,
    community_members,
    count_queries,
    db,
    make_audience,
    make_campaign,
    make_customer,
    make_template,
)


def test_customers_placeholders_channels_locale_and_counts(app):
    make_customer(first_name="Ann", last_name="<Lee>", locale="fr-CA")
    make_customer(first_name="Bob", email=None)
    make_customer(first_name="Cid", email=None, mobile="  ")
    make_customer(ORG_B, first_name="Eve")
    campaign = make_campaign()

    result = preview(ORG_A, campaign.id, with_counts=True)

    assert result.recipient_count == 3 and result.no_channel_count == 1
    ann, bob, cid = result.messages
    assert ann.id == f"draft-{campaign.id}-customers-{result.recipients[0].id}"
    assert ann.status == "draft" and ann.recipient_type == "customers"
    assert ann.subject == "Bonjour Ann !" and ann.locale == "fr-CA"  # the recipient's locale
    assert [m.template_locale for m in result.messages] == ["fr", None, None]  # the variant each message used
    assert ann.body == "<p>Salut Ann</p>"
    assert ann.channels == ["mail", "sms"] and ann.sms_encoding == "GSM-7" and ann.sms_segments == 1
    assert bob.channels == ["sms"] and bob.email is None and bob.locale is None
    assert bob.subject == "Hello Bob!" and bob.body == "<p>Hi Bob </p>"
    assert cid.channels == [] and cid.error == "no_channel" and cid.status == "draft"
    # Nothing is stored.
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 0


def test_html_escaped_in_body(app):
    make_customer(first_name="<script>x</script>")
    result = preview(ORG_A, make_campaign(template=make_template(body_i18n={})).id, with_counts=True)
    assert result.messages[0].body == "<p>Hi &lt;script&gt;x&lt;/script&gt; </p>"


def test_bookings_use_their_customer(app):
    ann = make_customer(first_name="Ann", mobile=None)
    bob = make_customer(first_name="Bob", email=None, mobile=None)
    b1 = add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 1)))
    add(Booking(organization_id=ORG_A, customer_id=bob.id, date=date(2026, 4, 2)))
    add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 3), status="cancelled"))
    template = make_template(
        binding_type="booking", body_short="{first_name} on {booking_date}", channels=["sms", "mail"]
    )
    audience = make_audience(audience_type="bookings", filters={"status": "accepted"})
    campaign = make_campaign(template=template, audience=audience)

    result = preview(ORG_A, campaign.id, with_counts=True)

    assert result.recipient_count == 2 and result.no_channel_count == 1
    first = result.messages[0]
    assert first.id == f"draft-{campaign.id}-bookings-{b1.id}"
    assert first.recipient_type == "bookings" and first.customer_id == str(ann.id)
    assert first.body_short == "Ann on 2026-04-01" and first.channels == ["mail"] and first.sms_segments is None
    assert result.messages[1].channels == []


def test_community_members(app):
    ann, bob = make_customer(first_name="Ann"), make_customer(first_name="Bob")
    make_customer(first_name="Cid")
    community = add(Community(organization_id=ORG_A, name="Runners"))
    db.session.execute(
        community_members.insert(), [{"community_id": community.id, "customer_id": c} for c in (ann.id, bob.id)]
    )
    db.session.commit()
    audience = make_audience(audience_type="community", community_id=str(community.id))
    result = preview(ORG_A, make_campaign(audience=audience).id, with_counts=True)
    assert [m.recipient_id for m in result.messages] == [str(ann.id), str(bob.id)]
    assert result.recipient_count == 2 and result.no_channel_count == 0


def test_at_most_ten_with_limit_in_sql_and_any_status(app):
    for i in range(13):
        make_customer(first_name=f"C{i}", email=None if i % 2 else f"c{i}@x.org", mobile=None)
    # A mail template: its counts are one COUNT (an SMS one reads the audience: below).
    campaign = make_campaign(template=make_template(channels=["mail"]), status="completed")
    campaign_id = campaign.id
    with count_queries() as statements:
        result = preview(ORG_A, campaign_id, with_counts=True)
    assert len(result.messages) == 10
    assert result.recipient_count == 13 and result.no_channel_count == 6
    reads = [s for s in statements if "FROM customers" in s and "count" not in s.lower()]
    assert len(reads) == 1 and "LIMIT" in reads[0].upper()
    # A stable id: the same recipients give the same ids.
    assert [m.id for m in preview(ORG_A, campaign.id).messages] == [m.id for m in result.messages]


def test_a_number_no_sms_can_reach_is_no_sms_channel_in_drafts_and_counts(app):
    """The preview applies sending's E.164 check: a national, a fixed-line or a junk number
    is no SMS channel, in the drafts, in their error code and in ``no_channel_count``."""
    make_customer(first_name="Int", email=None, mobile="+33 6 12 34 56 78")  # international mobile
    make_customer(first_name="Nat", email=None, mobile="0612345678")  # national form
    make_customer(first_name="Fix", email=None, mobile="+33 1 42 68 53 00")  # a Paris fixed line
    make_customer(first_name="Both", mobile="0612345678")  # e-mail still reaches her
    campaign = make_campaign(template=make_template(channels=["mail", "sms"]))

    result = preview(ORG_A, campaign.id, with_counts=True)

    assert result.recipient_count == 4 and result.no_channel_count == 2
    by_name = {r.first_name: m for r, m in zip(result.recipients, result.messages, strict=True)}
    assert by_name["Int"].channels == ["sms"] and by_name["Int"].error is None
    for name in ("Nat", "Fix"):
        assert by_name[name].channels == [] and by_name[name].error_code == "invalid_mobile"
        assert by_name[name].error.startswith("sms: invalid_mobile: ")
    assert by_name["Both"].channels == ["mail"] and by_name["Both"].error_code is None


def test_booking_queries_do_not_grow_per_recipient(app):
    customer = make_customer()
    for day in range(1, 10):
        add(Booking(organization_id=ORG_A, customer_id=customer.id, date=date(2026, 4, day)))
    campaign = make_campaign(
        template=make_template(binding_type="booking"), audience=make_audience(audience_type="bookings")
    )
    campaign_id = campaign.id
    with count_queries() as statements:
        preview(ORG_A, campaign_id)
    # campaign + template + audience, bookings, their customers (selectin), the counts, and one
    # lookup of the drafts' addresses in the suppression list.
    assert len(statements) <= 7, "\n\n".join(s[:150] for s in statements)


def test_other_organization_is_not_found(app):
    campaign = make_campaign(ORG_B)
    with pytest.raises(NotFoundError):
        preview(ORG_A, campaign.id)
    assert db.session.get(BroadcastCampaign, campaign.id) is not None


def test_counts_fall_back_to_streaming_for_custom_contact_properties(app, monkeypatch):
    from tests.support.host_fixtures import Customer

    monkeypatch.setattr(Customer, "broadcast_email", property(lambda self: self.email))
    make_customer(first_name="Ann")
    make_customer(first_name="Bob", email=None, mobile=None)
    campaign_id = make_campaign().id
    with count_queries() as statements:
        result = preview(ORG_A, campaign_id, with_counts=True)
    assert (result.recipient_count, result.no_channel_count) == (2, 1)
    assert not any("count(" in s.lower() for s in statements)
