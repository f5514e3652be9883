"""Which mobile numbers can receive an SMS: international (E.164) mobile numbers, checked
with ``phonenumbers``. Pure: the preview, the run's channels and the SMS channel all ask
this one function, so what a preview shows is what a run sends.
"""

from __future__ import annotations

import phonenumbers

__all__ = ["UnusableNumber", "e164"]


class UnusableNumber(ValueError):
    """The number is missing, not international, or not a valid mobile number of its country."""

    def __init__(self, detail: str) -> None:
        super().__init__(detail)
        self.detail = detail


def e164(mobile: str | None) -> str:
    """``mobile`` in E.164 form (``+33612345678``), or raise :class:`UnusableNumber`.

    The number must carry its country code (``+`` then digits): the extension has no
    reliable per-recipient region to guess a national number's country from. Spaces,
    dots, dashes and parentheses are tolerated (``+33 6 12 34 56 78``) and dropped.
    Fixed-line numbers are rejected when ``phonenumbers`` is sure they are fixed-line.
    """
    text = (mobile or "").strip()
    if not text:
        raise UnusableNumber("no mobile number")
    if not text.startswith("+"):
        raise UnusableNumber("not in international E.164 form (+ and country code)")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise UnusableNumber(f"not a phone number ({error})") from None
    if not phonenumbers.is_valid_number(number):
        raise UnusableNumber("not a valid number")
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise UnusableNumber("a fixed-line number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
