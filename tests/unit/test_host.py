"""flask_broadcasts.host: the contract a host's recipient models and audience sources follow.

A host relies on: a booking offering its customer's variables plus its own (declared and
bound), a booking's contact details and consent being its customer's, the mixin's defaults
read from ``email``/``mobile``/``locale``/``timezone`` with empty values meaning none, and an
audience source's query built on the host's own filter function with its loader options.
Plain Python objects and a compiled (never executed) query.
"""

from __future__ import annotations

from flask_broadcasts.host import BookingRecipientMixin, RecipientMixin, binding_variables
from tests.support.host import Booking, Customer, bookings_source, customers_source


class Person(RecipientMixin):
    broadcast_variables = ("first_name", "city")

    def __init__(self, id: int, email: str | None = None, mobile: str | None = "", consent: bool = True) -> None:
        self.id, self.email, self.mobile, self.consent = id, email, mobile, consent

    def get_variable_bindings(self):
        return {"first_name": "Ann", "city": "Lyon"}

    def broadcast_accepts(self, channel: str) -> bool:
        return self.consent


class Visit(BookingRecipientMixin):
    customer_model = Person
    booking_variables = ("visit_date", "city")

    def __init__(self, id: int, customer: Person | None) -> None:
        self.id, self.customer = id, customer

    def get_booking_bindings(self):
        return {"visit_date": "2026-03-01", "city": "Paris"}


def test_a_booking_offers_its_customers_variables_and_its_own_which_win():
    assert Visit.broadcast_variables == ("first_name", "city", "visit_date")
    assert Visit.broadcast_binding_type == "booking" and Person.broadcast_binding_type == "customer"
    assert Visit(5, Person(1)).get_variable_bindings() == {
        "first_name": "Ann",
        "city": "Paris",
        "visit_date": "2026-03-01",
    }
    assert binding_variables([customers_source, bookings_source]) == {
        "customer": frozenset(Customer.broadcast_variables),
        "booking": frozenset(Booking.broadcast_variables),
    }


def test_contact_details_and_consent_are_the_customers_and_empty_means_none():
    ann = Person(1, email="ann@example.com", mobile="", consent=False)
    visit = Visit(5, ann)
    assert (ann.broadcast_id, ann.broadcast_email, ann.broadcast_mobile, ann.broadcast_locale) == (
        "1",
        "ann@example.com",
        None,
        None,
    )
    assert (visit.broadcast_id, visit.broadcast_email, visit.broadcast_customer) == ("5", "ann@example.com", ann)
    assert visit.broadcast_accepts("mail") is False
    orphan = Visit(6, None)
    assert (orphan.broadcast_email, orphan.broadcast_mobile, orphan.broadcast_timezone) == (None, None, None)
    assert orphan.broadcast_accepts("sms") is True  # no customer to refuse
    assert orphan.get_variable_bindings() == {"visit_date": "2026-03-01", "city": "Paris"}


def test_an_audience_sources_query_is_the_hosts_filter_with_its_loader_options():
    stmt = bookings_source.recipients({"status": "accepted"}, "org-a")
    sql = str(stmt.compile(compile_kwargs={"literal_binds": True}))
    assert "bookings.organization_id = 'org-a'" in sql and "bookings.status = 'accepted'" in sql
    assert "ORDER BY bookings.id" in sql
    # The source's own selectinload(Booking.customer): rendering never loads one customer per booking.
    assert stmt._with_options == bookings_source.load_options
    assert customers_source.binding_type == "customer" and bookings_source.binding_type == "booking"
