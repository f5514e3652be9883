"""flask_broadcasts.services.addresses: the one stored form of an address, which the suppression
list and the consent records both key on. A user relies on an address typed any way (case,
spaces, a number's spacing) landing on the same row, and on addresses no message could have
being refused with a reason."""

from __future__ import annotations

import pytest

from flask_broadcasts.services.addresses import MAX_ADDRESS_LENGTH, address_forms, normalize_address


def test_an_address_typed_any_way_has_one_stored_form():
    # Case and surrounding spaces: "Ann@Example.COM" and "ann@example.com" are one suppression.
    assert normalize_address("mail", "  Ann@Example.COM ") == "ann@example.com"
    # A mobile number in any spacing of E.164 is stored as E.164.
    assert normalize_address("sms", " +33 6 12-34.56 (78) ") == "+33612345678"
    assert normalize_address("sms", "+33612345678") == "+33612345678"


@pytest.mark.parametrize(
    ("channel", "address", "said"),
    [
        ("mail", "ann", "Not an e-mail address."),
        ("mail", "@example.com", "Not an e-mail address."),
        ("mail", "ann@", "Not an e-mail address."),
        ("mail", "an n@example.com", "Not an e-mail address."),
        ("mail", "ann@example.com\r\nBcc: x@y.z", "Not an e-mail address."),
        ("mail", "a@" + "x" * MAX_ADDRESS_LENGTH, f"Longer than {MAX_ADDRESS_LENGTH} characters."),
        ("sms", "06 12 34 56 78", "international E.164 form"),  # no country code: no country to guess
        ("sms", "+33 1 23 45 67 89", "a fixed-line number"),
        ("fax", "+33612345678", "Unknown channel 'fax'."),
    ],
)
def test_an_address_no_message_of_the_channel_could_have_is_refused_with_the_reason(channel, address, said):
    with pytest.raises(ValueError) as refused:
        normalize_address(channel, address)
    assert said in str(refused.value)


def test_a_filter_matches_the_stored_forms_on_the_channel_or_on_any():
    assert address_forms(None, "Ann@Example.com") == ["ann@example.com"]
    assert address_forms(None, "+33 6 12 34 56 78") == ["+33612345678"]
    assert address_forms("mail", "ANN@example.com") == ["ann@example.com"]
    # An e-mail address is no SMS address, and text that is no address matches nothing.
    assert address_forms("sms", "ann@example.com") == []
    assert address_forms(None, "nobody") == []
