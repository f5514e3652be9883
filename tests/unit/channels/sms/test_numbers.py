"""flask_broadcasts.channels.sms.numbers: the SMS channel's check of a recipient's number.

What a user relies on: the number goes to the gateway in E.164; a number that cannot get an SMS
is a permanent refusal of that recipient alone (``InvalidMobile``, an ``SmsPermanentError``) whose
stored reason starts with the ``invalid_mobile`` error code and says why."""

from __future__ import annotations

import pytest

from flask_broadcasts.channels.sms.base import SmsPermanentError
from flask_broadcasts.channels.sms.numbers import INVALID_MOBILE, InvalidMobile, to_e164
from flask_broadcasts.statuses import ErrorCode


def test_the_gateway_gets_the_number_in_e164() -> None:
    assert to_e164("+33 6 12 34 56 78") == "+33612345678"
    assert to_e164("+1 (415) 555-2671") == "+14155552671"


@pytest.mark.parametrize(
    ("mobile", "reason"),
    [
        (None, "invalid_mobile: no mobile number"),
        ("06 12 34 56 78", "invalid_mobile: not in international E.164 form (+ and country code)"),
        ("+33 1 45 67 89 01", "invalid_mobile: a fixed-line number"),
        ("+1234", "invalid_mobile: not a valid number"),
    ],
)
def test_an_unusable_number_is_a_permanent_refusal_with_its_reason(mobile: str | None, reason: str) -> None:
    with pytest.raises(InvalidMobile) as raised:
        to_e164(mobile)
    assert isinstance(raised.value, SmsPermanentError)  # the message fails alone, the batch goes on
    assert raised.value.reason == str(raised.value) == reason
    assert raised.value.__cause__ is None and raised.value.__suppress_context__  # no phonenumbers traceback


def test_the_reason_code_is_the_error_code_of_the_api() -> None:
    assert INVALID_MOBILE == ErrorCode.INVALID_MOBILE.value == "invalid_mobile"
