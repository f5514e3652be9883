"""flask_broadcasts.services.messages: a campaign's stored messages and what a page of them refers
to. A user relies on only the organization's campaign and messages being found (another's answer
as missing ones), on the status and address filters (an e-mail address in any case, a mobile
number), on a compact message coming back with its texts, and on a page's recipients, customers,
e-mails and campaigns costing one query per kind whatever the page's size."""

from __future__ import annotations

import datetime as dt

import pytest

from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.models import BroadcastMessage, BroadcastTemplate
from flask_broadcasts.services import messages
from flask_broadcasts.services.message_texts import store_run_content
from flask_broadcasts.services.templates import template_content
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import MessageStatus
from tests.support.host import Booking
from tests.support.host_fixtures import add, count_queries, make_campaign, make_customer, make_message, make_sent_email

ORG, OTHER = "org-1", "org-2"


def test_only_the_organizations_campaign_and_messages_are_found(app):
    campaign = make_campaign(ORG)
    theirs = make_campaign(OTHER)
    message = make_message(theirs, make_customer(OTHER))
    for campaign_id in (theirs.id, 999, "1 OR 1=1", None):
        with pytest.raises(NotFoundError):
            messages.messages_query(ORG, campaign_id)
    with pytest.raises(NotFoundError):
        messages.get_message(ORG, message.id)
    assert messages.get_message(OTHER, str(message.id)).id == message.id
    assert get_state().session.scalars(messages.messages_query(ORG, campaign.id)).all() == []


def test_messages_are_filtered_by_status_and_by_address(app):
    campaign = make_campaign(ORG)
    ann = make_message(campaign, make_customer(ORG, "Ann", email="Ann.Lee@Example.com"), status="completed")
    bob = make_message(campaign, make_customer(ORG, "Bob"), status="failed", mobile="+33612345678")
    cid = make_message(campaign, make_customer(ORG, "Cid"), status="pending")
    session = get_state().session

    def ids(**filters):
        return sorted(m.id for m in session.scalars(messages.messages_query(ORG, campaign.id, **filters)))

    assert ids() == [ann.id, bob.id, cid.id]
    assert ids(statuses=[MessageStatus.COMPLETED, MessageStatus.FAILED]) == [ann.id, bob.id]
    assert ids(address=" ann.lee@example.COM ") == [ann.id]
    assert ids(address="+33612345678") == [bob.id]
    assert ids(address="+33612345678", statuses=[MessageStatus.COMPLETED]) == []


def test_a_compact_message_comes_back_with_its_texts(app):
    campaign = make_campaign(ORG)
    session = get_state().session
    template = session.get(BroadcastTemplate, campaign.template_id)
    store_run_content(session, ORG, campaign.id, "once", template_content(template))
    customer = make_customer(ORG, "Ann")
    fields = dict.fromkeys(("subject", "body", "body_short", "action_label", "action_url"))
    message = make_message(
        campaign, customer, bindings={"first_name": "Ann", "last_name": "Lee"}, locale="fr", **fields
    )
    session.expire_all()
    found = messages.get_message(ORG, message.id)
    assert (found.subject, found.body) == ("Bonjour Ann !", "<p>Salut Ann</p>")  # the template's French texts
    assert found.body_short == "Hi Ann"


def test_a_pages_references_cost_one_query_per_kind(app):
    campaign = make_campaign(ORG)
    customers = [make_customer(ORG, f"C{i}") for i in range(3)]
    booking = add(Booking(organization_id=ORG, customer_id=customers[0].id, date=dt.date(2026, 5, 1)))
    page = [make_message(campaign, c) for c in customers]
    page.append(make_message(campaign, booking, customer=customers[0]))
    make_sent_email(page[1])
    gone = make_customer(ORG, "Gone")
    page.append(make_message(campaign, gone))
    session = get_state().session
    session.delete(gone)  # the host deleted a recipient since
    session.commit()
    session.expire_all()
    page = session.scalars(messages.messages_query(ORG, campaign.id).order_by(BroadcastMessage.id)).all()

    with count_queries() as recipients_queries:
        recipients = messages.load_recipients(page)
    assert len(recipients_queries) == 3  # customers; bookings, with their customers (the source's load option)
    assert sorted(recipients) == sorted([("customers", str(c.id)) for c in customers] + [("bookings", str(booking.id))])
    assert ("customers", str(gone.id)) not in recipients
    # A booking's customer is found by model: the customers already loaded are not read again.
    assert messages.customer_source("bookings").resource_type == "customers"
    with count_queries() as customer_queries:
        found = messages.load_customers(page[:4], recipients)
    assert customer_queries == [] and set(found) == {("customers", str(c.id)) for c in customers}
    with count_queries() as customer_queries:
        found = messages.load_customers(page, recipients)
    assert len(customer_queries) == 1  # only the customer not loaded yet is asked for, and is gone
    assert set(found) == {("customers", str(c.id)) for c in customers}
    with count_queries() as other_queries:
        sent = messages.load_sent_emails(page)
        campaigns = messages.load_campaigns(page)
    assert list(sent) == [page[1].id] and list(campaigns) == [campaign.id]
    assert len(other_queries) == 4  # sent e-mails; campaigns, their templates and audiences
