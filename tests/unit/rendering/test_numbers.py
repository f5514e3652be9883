"""flask_broadcasts.rendering.numbers: which mobile numbers can get an SMS.

What a user relies on: one check, shared by the preview, a run's channels and the SMS channel,
accepts international mobile numbers however they are punctuated and writes them in E.164; it
refuses, each with its own reason, a missing number, a national one, a malformed one and a
fixed line."""

from __future__ import annotations

import pytest

from flask_broadcasts.rendering.numbers import UnusableNumber, e164


@pytest.mark.parametrize(
    ("mobile", "expected"),
    [
        ("+33 6 12 34 56 78", "+33612345678"),
        ("+33.6.12.34.56.78", "+33612345678"),
        ("+33-6-12-34-56-78", "+33612345678"),
        ("+1 (415) 555-2671", "+14155552671"),
        (" +447911123456 ", "+447911123456"),
    ],
)
def test_international_mobile_numbers_come_out_in_e164(mobile: str, expected: str) -> None:
    assert e164(mobile) == expected


@pytest.mark.parametrize(
    ("mobile", "detail"),
    [
        (None, "no mobile number"),
        ("   ", "no mobile number"),
        # No region to guess a national number's country from: the + and country code are required.
        ("0612345678", "not in international E.164 form (+ and country code)"),
        ("+33 6 12", "not a valid number"),
        ("+1234", "not a valid number"),
    ],
)
def test_unusable_numbers_say_why(mobile: str | None, detail: str) -> None:
    with pytest.raises(UnusableNumber) as raised:
        e164(mobile)
    assert raised.value.detail == detail


def test_text_that_is_no_phone_number_is_refused_as_such() -> None:
    with pytest.raises(UnusableNumber) as raised:
        e164("+abc")
    assert raised.value.detail.startswith("not a phone number")
    assert isinstance(raised.value, ValueError)  # callers that only know ValueError still catch it


@pytest.mark.parametrize("fixed_line", ["+33 1 45 67 89 01", "+44 20 7946 0958"])
def test_fixed_lines_are_refused_though_valid_numbers(fixed_line: str) -> None:
    with pytest.raises(UnusableNumber, match="a fixed-line number"):
        e164(fixed_line)
