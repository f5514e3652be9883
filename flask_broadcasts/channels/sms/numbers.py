"""Validation of recipients' mobile numbers (E.164) with ``phonenumbers``."""

from __future__ import annotations

import phonenumbers

from .base import SmsPermanentError

__all__ = ["InvalidMobile", "INVALID_MOBILE", "to_e164"]

#: The reason code stored on a message whose number cannot receive an SMS.
INVALID_MOBILE = "invalid_mobile"


class InvalidMobile(SmsPermanentError):
    """The number is missing, not international, or not a valid number of its country."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{INVALID_MOBILE}: {detail}")


def to_e164(mobile: str | None) -> str:
    """Return ``mobile`` in E.164 form (``+33612345678``) or raise :class:`~flask_broadcasts.channels.sms.numbers.InvalidMobile`.

    The number must carry its country code (``+`` then digits): the extension has no
    reliable per-recipient region to guess a national number's country from. Spaces,
    dots, dashes and parentheses are tolerated (``+33 6 12 34 56 78``) and dropped.
    Fixed-line numbers are rejected when ``phonenumbers`` is sure they are fixed-line.
    """
    text = (mobile or "").strip()
    if not text:
        raise InvalidMobile("no mobile number")
    if not text.startswith("+"):
        raise InvalidMobile("not in international E.164 form (+ and country code)")
    try:
        number = phonenumbers.parse(text, None)
    except phonenumbers.NumberParseException as error:
        raise InvalidMobile(f"not a phone number ({error})") from None
    if not phonenumbers.is_valid_number(number):
        raise InvalidMobile("not a valid number")
    if phonenumbers.number_type(number) == phonenumbers.PhoneNumberType.FIXED_LINE:
        raise InvalidMobile("a fixed-line number")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)
