"""The SMS channel behind a small protocol (the SMS issue brings Twilio)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Protocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SmsReceipt:
    provider_message_id: str | None
    answer: str


class SmsRefused(Exception):
    """The provider refused this message for good."""


class SmsProvider(Protocol):
    def send(self, to: str, body: str, *, reference: str) -> SmsReceipt:
        """Hand one SMS over; raise :class:`SmsRefused`, or anything else for "retry later"."""


class LoggingSmsProvider:
    """Development provider (``BROADCASTS_SMS_PROVIDER = "logging"``): logs, sends nothing."""

    def send(self, to: str, body: str, *, reference: str) -> SmsReceipt:
        log.info("SMS to %s (%s): %s", to, reference, body)
        return SmsReceipt(provider_message_id=f"log-{uuid.uuid4().hex[:16]}", answer="logged")


def sms_provider_for(name: str) -> SmsProvider:
    if name == "logging":
        return LoggingSmsProvider()
    raise RuntimeError(f"SMS provider {name!r} is not available yet (see the SMS channel issue).")
