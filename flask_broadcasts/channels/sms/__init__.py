"""The SMS channel: a small provider protocol, two providers, number validation.

Public interface::

    from flask_broadcasts.channels.sms import (
        SmsProvider, SmsResult,                       # the protocol a provider implements
        SmsPermanentError, SmsOptedOut, SmsTransientError, SmsOutcomeUnknown,
        LoggingSmsProvider, TwilioSmsProvider,        # the two shipped providers
        get_sms_provider, send_sms, to_e164,
    )
"""

from __future__ import annotations

from .base import (
    SmsError,
    SmsOptedOut,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsProvider,
    SmsResult,
    SmsTransientError,
)
from .channel import SmsChannel
from .logging_provider import LoggingSmsProvider
from .numbers import INVALID_MOBILE, InvalidMobile, to_e164
from .providers import build_sms_provider, get_sms_provider, status_callback_url
from .send import SmsOutcome, send_sms
from .twilio_provider import SmsConfigurationError, TwilioSmsProvider

__all__ = [
    "INVALID_MOBILE",
    "InvalidMobile",
    "LoggingSmsProvider",
    "SmsChannel",
    "SmsConfigurationError",
    "SmsError",
    "SmsOptedOut",
    "SmsOutcome",
    "SmsOutcomeUnknown",
    "SmsPermanentError",
    "SmsProvider",
    "SmsResult",
    "SmsTransientError",
    "TwilioSmsProvider",
    "build_sms_provider",
    "get_sms_provider",
    "send_sms",
    "status_callback_url",
    "to_e164",
]
