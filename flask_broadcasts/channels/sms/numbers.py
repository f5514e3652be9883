"""Validation of recipients' mobile numbers (E.164) with ``phonenumbers``."""

from __future__ import annotations

from ...rendering.numbers import UnusableNumber, e164
from ...statuses import ErrorCode
from .base import SmsPermanentError

__all__ = ["InvalidMobile", "INVALID_MOBILE", "to_e164"]

#: The reason code stored on a message whose number cannot receive an SMS.
INVALID_MOBILE = ErrorCode.INVALID_MOBILE.value


class InvalidMobile(SmsPermanentError):
    """The number is missing, not international, or not a valid number of its country."""

    def __init__(self, detail: str) -> None:
        super().__init__(f"{INVALID_MOBILE}: {detail}")


def to_e164(mobile: str | None) -> str:
    """Return ``mobile`` in E.164 form (``+33612345678``) or raise :class:`~flask_broadcasts.channels.sms.InvalidMobile`.

    The check is :func:`flask_broadcasts.rendering.numbers.e164`, the one the preview and
    a run's channels use too.
    """
    try:
        return e164(mobile)
    except UnusableNumber as error:
        raise InvalidMobile(error.detail) from None
