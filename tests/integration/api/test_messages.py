"""Tests of flask_broadcasts.api.messages.

Stored messages over HTTP: attributes, filter, cursor pages, includes, query counts."""

from __future__ import annotations

from datetime import date, timedelta

from tests.support.host_fixtures import (
    ORG_A,
    ORG_B,
    T0,
    Booking,
    add,
    count_queries,
    make_audience,
    make_campaign,
    make_customer,
    make_message,
    make_sent_email,
    make_template,
)


def seed(n: int, *, statuses=("pending", "completed", "failed")):
    campaign = make_campaign()
    messages = []
    for i in range(n):
        customer = make_customer(first_name=f"C{i}")
        # Pairs share a created_at so the id must break the tie.
        messages.append(
            make_message(
                campaign, customer, status=statuses[i % len(statuses)], created_at=T0 + timedelta(seconds=i // 2)
            )
        )
    return campaign, messages


def ids(response):
    return [d["id"] for d in response.get_json()["data"]]


def test_attributes_and_meta(api):
    campaign = make_campaign()
    customer = make_customer()
    message = make_message(
        campaign,
        customer,
        status="failed",
        error="no_channel",
        error_code="no_channel",
        channels=[],
        locale="fr",
        template_locale="fr",
        mobile="+33600000001",
        sms_encoding="GSM-7",
        sms_segments=2,
    )
    body = api.get(f"/broadcast-messages/{message.id}").get_json()
    data = body["data"]
    assert data["type"] == "broadcast-messages" and data["id"] == str(message.id)
    attributes = data["attributes"]
    for name in (
        "subject",
        "body",
        "body_short",
        "action_label",
        "action_url",
        "channels",
        "locale",
        "email",
        "mobile",
        "status",
        "created_at",
        "error",
        "error_code",
        "mail_status",
        "sms_status",
    ):
        assert name in attributes
    assert attributes["status"] == "failed" and attributes["error"] == "no_channel"
    assert attributes["error_code"] == "no_channel"
    assert (attributes["mail_status"], attributes["sms_status"]) == (None, None)  # no channel left to it
    assert data["meta"] == {"sms_encoding": "GSM-7", "sms_segments": 2, "template_locale": "fr"}
    assert data["relationships"]["customer"]["data"] == {"type": "customers", "id": str(customer.id)}
    assert data["relationships"]["campaign"]["data"] == {"type": "broadcast-campaigns", "id": str(campaign.id)}


def test_cursor_pages_are_stable_and_complete(api):
    campaign, messages = seed(7)
    seen, url = [], None
    response = api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"page[size]": 3})
    while True:
        body = response.get_json()
        assert "total" not in body.get("meta", {})
        seen += ids(response)
        url = body["links"].get("next")
        if not url:
            break
        # A message created after the first page does not shift later pages.
        make_message(campaign, make_customer(first_name="Late"), created_at=T0 - timedelta(days=1))
        response = api.get_url(url)
    assert seen == [str(m.id) for m in messages]


def test_descending_and_bad_cursor(api):
    campaign, messages = seed(4)
    first = api.get(f"/broadcast-campaigns/{campaign.id}/messages", sort="-created_at", **{"page[size]": 2})
    # Newest first; equal created_at are ordered by id (ascending), the core's tie-breaker.
    assert ids(first) == [str(messages[2].id), str(messages[3].id)]
    second = api.get_url(first.get_json()["links"]["next"])
    assert ids(second) == [str(messages[0].id), str(messages[1].id)]
    assert "next" not in second.get_json()["links"]
    bad = api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"page[after]": "nope"})
    assert bad.status_code == 400
    assert api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"page[number]": 2}).status_code == 400


def test_filter_status(api):
    campaign, messages = seed(6)
    failed = api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"filter[status]": "failed"})
    assert ids(failed) == [str(m.id) for m in messages if m.status == "failed"]
    both = api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"filter[status]": "failed,completed"})
    assert len(ids(both)) == 4
    bad = api.get(f"/broadcast-campaigns/{campaign.id}/messages", **{"filter[status]": "draft"})
    assert bad.status_code == 400
    assert bad.get_json()["errors"][0]["source"] == {"parameter": "filter[status]"}


def test_includes(api):
    campaign = make_campaign()
    ann = make_customer(first_name="Ann")
    booking = add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 1)))
    m1 = make_message(campaign, ann, status="completed")
    make_message(campaign, booking, customer=ann, created_at=T0 + timedelta(seconds=1))
    sent = make_sent_email(m1)
    body = api.get(
        f"/broadcast-campaigns/{campaign.id}/messages", include="campaign,recipient,customer,sent_email"
    ).get_json()
    included = {(r["type"], r["id"]): r for r in body["included"]}
    assert set(included) == {
        ("broadcast-campaigns", str(campaign.id)),
        ("customers", str(ann.id)),
        ("bookings", str(booking.id)),
        ("broadcast-sent-emails", str(sent.id)),
    }
    email = included[("broadcast-sent-emails", str(sent.id))]
    assert email["attributes"]["from"] == "news@example.com" and email["attributes"]["to"] == ann.email
    assert email["attributes"]["response"] == "250 OK" and email["attributes"]["message_id"] == f"<{m1.id}@example.com>"
    first, second = body["data"]
    assert first["relationships"]["recipient"]["data"] == {"type": "customers", "id": str(ann.id)}
    assert second["relationships"]["recipient"]["data"] == {"type": "bookings", "id": str(booking.id)}
    assert second["relationships"]["customer"]["data"] == {"type": "customers", "id": str(ann.id)}
    assert second["relationships"]["sent_email"]["data"] is None
    assert included[("bookings", str(booking.id))]["attributes"]["date"] == "2026-04-01"


def test_includes_follow_the_hosts_own_names(api, renamed_host):
    """Customers called clients, bookings called appointments: linkage and included agree."""
    campaign = make_campaign(template=make_template(binding_type="client"))
    ann = make_customer(first_name="Ann")
    visit = add(Booking(organization_id=ORG_A, customer_id=ann.id, date=date(2026, 4, 1)))
    as_client = make_message(campaign, ann, recipient_type="clients")
    as_appointment = make_message(
        campaign, visit, customer=ann, recipient_type="appointments", created_at=T0 + timedelta(seconds=1)
    )
    body = api.get(f"/broadcast-campaigns/{campaign.id}/messages", include="recipient,customer").get_json()
    client, appointment = body["data"]
    assert client["id"] == str(as_client.id) and appointment["id"] == str(as_appointment.id)
    for message in (client, appointment):
        assert message["relationships"]["customer"]["data"] == {"type": "clients", "id": str(ann.id)}
    assert appointment["relationships"]["recipient"]["data"] == {"type": "appointments", "id": str(visit.id)}
    assert {(r["type"], r["id"]) for r in body["included"]} == {
        ("clients", str(ann.id)),
        ("appointments", str(visit.id)),
    }
    one = api.get(f"/broadcast-messages/{as_appointment.id}", include="customer").get_json()
    assert one["data"]["relationships"]["customer"]["data"] == {"type": "clients", "id": str(ann.id)}
    assert [(r["type"], r["id"]) for r in one["included"]] == [("clients", str(ann.id))]


def test_filter_address_finds_a_recipient_s_messages(api, api_b):
    """The dashboard's search: one address (e-mail in any case, or the mobile number), exactly."""
    campaign, messages = seed(3)
    # Two recipients at one address (a customer and a booking of theirs, say).
    wanted = [
        make_message(
            campaign,
            make_customer(first_name="Ada"),
            status="failed",
            email="Ada.Lovelace@Example.com",
            mobile="+447700900123",
        ),
        make_message(campaign, make_customer(first_name="Ada"), status="completed", email="ada.lovelace@example.com"),
    ]
    make_message(campaign, make_customer(first_name="Adam"), email="ada.lovelace@example.com.evil")
    url = f"/broadcast-campaigns/{campaign.id}/messages"
    by_email = api.get(url, **{"filter[address]": "ADA.lovelace@example.COM"})
    assert ids(by_email) == [str(m.id) for m in wanted]
    assert ids(api.get(url, **{"filter[address]": "+447700900123"})) == [str(wanted[0].id)]
    both = api.get(url, **{"filter[address]": "ada.lovelace@example.com", "filter[status]": "failed"})
    assert ids(both) == [str(wanted[0].id)]
    assert ids(api.get(url, **{"filter[address]": "lovelace"})) == []  # no partial match: an address, exactly
    too_long = api.get(url, **{"filter[address]": "a" * 321})
    assert too_long.status_code == 400
    assert too_long.get_json()["errors"][0]["source"] == {"parameter": "filter[address]"}
    assert api_b.get(url, **{"filter[address]": "ada.lovelace@example.com"}).status_code == 404
    assert len(messages) == 3


def test_organizations_are_isolated(api, api_b):
    campaign, messages = seed(2)
    assert api_b.get(f"/broadcast-campaigns/{campaign.id}/messages").status_code == 404
    assert api_b.get(f"/broadcast-messages/{messages[0].id}").status_code == 404
    other = make_campaign(ORG_B, template=make_template(ORG_B), audience=make_audience(ORG_B))
    make_message(other, make_customer(ORG_B, first_name="Eve"))
    assert api.get(f"/broadcast-campaigns/{other.id}/messages").status_code == 404


def _page_queries(api, campaign_id, size):
    with count_queries() as statements:
        response = api.get(
            f"/broadcast-campaigns/{campaign_id}/messages",
            include="campaign,recipient,customer,sent_email",
            **{"page[size]": size},
        )
    assert response.status_code == 200 and len(response.get_json()["data"]) == size
    return statements


def test_query_count_does_not_grow_with_page_size(api):
    campaign = make_campaign()
    for i in range(40):
        customer = make_customer(first_name=f"C{i}")
        recipient = (
            add(Booking(organization_id=ORG_A, customer_id=customer.id, date=date(2026, 4, 1))) if i % 2 else customer
        )
        message = make_message(campaign, recipient, customer=customer, created_at=T0 + timedelta(seconds=i))
        if i % 3 == 0:
            make_sent_email(message)
    campaign_id = campaign.id
    small, large = _page_queries(api, campaign_id, 4), _page_queries(api, campaign_id, 40)
    assert len(small) == len(large), "\n\n".join(large)
    assert len(large) <= 10, len(large)
    assert not any(s.skips_rows or "count(" in s.lower() for s in large)
    host_reads = [s for s in large if "FROM customers" in s or "FROM bookings" in s]
    assert all(" IN " in s for s in host_reads)
