"""Deprecated alias of :mod:`flask_broadcasts.channels.sms` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ...channels.sms import (  # noqa: F401
    INVALID_MOBILE,
    InvalidMobile,
    LoggingSmsProvider,
    SmsConfigurationError,
    SmsError,
    SmsOutcome,
    SmsOutcomeUnknown,
    SmsPermanentError,
    SmsProvider,
    SmsResult,
    SmsTransientError,
    TwilioSmsProvider,
    build_sms_provider,
    get_sms_provider,
    send_sms,
    status_callback_url,
    to_e164,
)

warnings.warn(
    "flask_broadcasts.delivery.sms is deprecated; import flask_broadcasts.channels.sms",
    DeprecationWarning,
    stacklevel=2,
)
