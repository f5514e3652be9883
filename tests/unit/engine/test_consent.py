"""flask_broadcasts.engine.consent: which channels of a recipient the host's opt-in lets a campaign use.

What a user relies on: with a ``consent_criterion`` on the audience source its answer, read as
one column per channel with each row, decides (a channel it does not cover needs no opt-in);
without one each recipient's ``broadcast_accepts`` decides; and a host that keeps the mixin's
default (everyone accepts) is never asked at all.
"""

from __future__ import annotations

from dataclasses import replace

import sqlalchemy as sa

from flask_broadcasts.engine.consent import accepted_channels, accepts_everyone, consenting, refused
from tests.support.host import Customer, bookings_source, customers_source


class MailOnly(Customer):
    """A recipient who agreed to e-mail only (the host's ``broadcast_accepts``)."""

    __abstract__ = True

    def broadcast_accepts(self, channel: str) -> bool:
        return channel == "mail"


def test_without_a_criterion_each_recipient_decides():
    recipient = MailOnly()

    assert accepted_channels(recipient, ["mail", "sms"], None) == ["mail"]
    assert refused(recipient, ["mail", "sms"], None)
    assert not refused(recipient, ["mail"], None)


def test_the_criterions_answer_decides_and_a_channel_it_does_not_cover_is_accepted():
    recipient = MailOnly()  # its own answer must not be asked when the SQL answered

    assert accepted_channels(recipient, ["mail", "sms"], {"mail": False, "sms": True}) == ["sms"]
    assert accepted_channels(recipient, ["mail", "sms"], {"mail": True}) == ["mail", "sms"]
    assert refused(recipient, ["mail", "sms"], {"mail": False})


def test_a_criterion_adds_one_column_per_channel_it_covers_and_each_row_is_read_back():
    source = replace(
        customers_source, consent_criterion=lambda channel: Customer.status == "active" if channel == "sms" else None
    )
    stmt = sa.select(Customer)

    with_consent = consenting(source, stmt)

    assert with_consent.channels == ("sms",) and with_consent.by_sql
    assert len(with_consent.stmt.selected_columns) == len(stmt.selected_columns) + 1
    recipient = Customer()
    assert with_consent.read((recipient, 0)) == (recipient, {"sms": False})
    assert with_consent.read((recipient, 1)) == (recipient, {"sms": True})
    # Without a criterion the query is left alone and each object is asked.
    plain = consenting(customers_source, stmt)
    assert plain.stmt is stmt and plain.read((recipient,)) == (recipient, None)


def test_only_a_host_that_keeps_the_default_accepts_everyone():
    assert accepts_everyone(customers_source)
    assert accepts_everyone(bookings_source)  # a booking asks its customer, who keeps the default
    assert not accepts_everyone(replace(customers_source, model=MailOnly))
    assert not accepts_everyone(replace(customers_source, consent_criterion=lambda channel: None))
