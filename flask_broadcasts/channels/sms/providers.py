"""Which :class:`~.base.SmsProvider` an app uses, and the status-callback URL it gives it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from .base import SmsProvider

if TYPE_CHECKING:
    from flask import Flask

    from ...state import BroadcastsState, Settings

__all__ = ["build_sms_provider", "get_sms_provider", "status_callback_url"]


def build_sms_provider(settings: Settings) -> SmsProvider:
    """The provider named by ``BROADCASTS_SMS_PROVIDER`` (``logging`` or ``twilio``)."""
    name = (settings.sms_provider or "logging").lower()
    if name == "logging":
        from .logging_provider import LoggingSmsProvider

        return LoggingSmsProvider()
    if name == "twilio":
        from .twilio_provider import TwilioSmsProvider

        return TwilioSmsProvider.from_settings(settings)
    raise ValueError(
        f"BROADCASTS_SMS_PROVIDER is {settings.sms_provider!r}; use 'logging' or 'twilio', "
        "or give an instance: broadcasts.sms_provider = MyProvider()."
    )


def get_sms_provider(app: Flask | None = None) -> SmsProvider:
    """The app's SMS provider (:attr:`~flask_broadcasts.state.BroadcastsState.sms_provider`):
    the host's instance when it set one, else the one built from settings.
    """
    from ...state import get_state

    return get_state(app).sms_provider


def status_callback_url(state: BroadcastsState, provider: SmsProvider) -> str | None:
    """``{BROADCASTS_PUBLIC_URL}{prefix}{provider.callback_endpoint}``, or ``None``.

    ``None`` when the app has no public URL (a gateway could not reach it) or the
    provider has no callback endpoint of ours.
    """
    endpoint = getattr(provider, "callback_endpoint", None)
    public_url = state.settings.public_url
    if not endpoint or not public_url:
        return None
    prefix = state.settings.events_url_prefix or state.settings.url_prefix or ""
    return f"{public_url.rstrip('/')}{prefix.rstrip('/')}{endpoint}"
