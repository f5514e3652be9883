"""The shared recipient → message values function, without a database."""

from __future__ import annotations

from flask_broadcasts.engine.recipients import NO_CHANNEL, compile_template, message_values, recipient_data
from flask_broadcasts.host import AudienceSource, BookingRecipientMixin, RecipientMixin
from flask_broadcasts.models import BroadcastTemplate


class Customer(RecipientMixin):
    broadcast_variables = ("first_name",)

    def __init__(self, id, first_name, email=None, mobile=None, locale=None):
        self.id, self.first_name, self.email, self.mobile, self.locale = id, first_name, email, mobile, locale

    def get_variable_bindings(self):
        return {"first_name": self.first_name}


class Booking(BookingRecipientMixin):
    customer_model = Customer
    booking_variables = ("booking_date",)

    def __init__(self, id, customer, date):
        self.id, self.customer, self.date = id, customer, date

    def get_booking_bindings(self):
        return {"booking_date": self.date}


def source(model, resource_type):
    return AudienceSource(resource_type, model, resource_type, lambda s, f, o: s, None, lambda o: {})


def template(**overrides):
    values = {
        "subject": "Hi {first_name}",
        "body": "<p>{first_name}</p>",
        "body_short": "Hi {first_name} {booking_date}",
        "action_label": "",
        "action_url": "https://example.com/b",
        "channels": ["mail", "sms"],
        "subject_i18n": {"fr": "Salut {first_name}"},
        "body_i18n": {},
        "body_short_i18n": {},
        "action_label_i18n": {},
    }
    values.update(overrides)
    return BroadcastTemplate(**values)


def test_customer_values_escape_and_locale():
    compiled = compile_template(template(body_i18n={"fr": "<p>Bonjour {first_name}</p>"}))
    values = message_values(
        compiled, Customer(7, "<b>Zoé</b>", "z@example.com", None, "fr-CA"), source(Customer, "customers")
    )
    assert values["recipient_type"] == "customers"
    assert values["recipient_id"] == "7" and values["customer_id"] == "7"
    assert values["subject"] == "Salut <b>Zoé</b>"
    assert values["body"] == "<p>Bonjour &lt;b&gt;Zoé&lt;/b&gt;</p>"
    assert values["locale"] == "fr-CA"  # the recipient's (canonical), not the variant used (fr)
    assert values["channels"] == ["mail"]  # no mobile → sms dropped
    assert values["sms_encoding"] is None and values["sms_segments"] is None
    assert values["status"] == "pending" and values["error"] is None


def test_booking_uses_its_customer():
    customer = Customer(3, "Ann", None, "+33600000000")
    values = message_values(
        compile_template(template()), Booking(11, customer, "2026-04-01"), source(Booking, "bookings")
    )
    assert values["recipient_type"] == "bookings" and values["recipient_id"] == "11" and values["customer_id"] == "3"
    assert values["body_short"] == "Hi Ann 2026-04-01"
    assert values["channels"] == ["sms"] and values["sms_encoding"] == "GSM-7" and values["sms_segments"] == 1


def test_no_channel_is_failed():
    values = message_values(compile_template(template()), Customer(1, "X"), source(Customer, "customers"))
    assert values["channels"] == [] and values["status"] == "failed" and values["error"] == NO_CHANNEL


def test_recipient_data_reads_mixin_properties():
    data = recipient_data(Customer(1, "X", "", "+1", "de"))
    assert data.email is None and data.mobile == "+1" and data.locale == "de"
    # The extension's own placeholder stays for the mail channel to fill (it needs the message id).
    assert dict(data.bindings) == {"first_name": "X", "unsubscribe_url": "{unsubscribe_url}"}
