"""A development SMS provider that only logs: nothing leaves the machine."""

from __future__ import annotations

import logging
import uuid

from .base import SmsResult

logger = logging.getLogger("flask_broadcasts.sms")


class LoggingSmsProvider:
    """Logs each SMS and answers with a fake id (``dev-...``). **No SMS is sent.**

    The default (``BROADCASTS_SMS_PROVIDER = "logging"``) so that the example app and
    development setups run without a gateway account. Messages it "sends" end
    ``completed`` and never ``delivered``: there is no gateway to confirm delivery.

    :param sent: when a list is given, each ``(to, body)`` is also appended to it.
    """

    name = "logging"
    callback_endpoint: str | None = None

    def __init__(self, *, sent: list[tuple[str, str]] | None = None) -> None:
        self.sent = sent

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        """Log the SMS on ``flask_broadcasts.sms`` and answer a fake ``dev-...`` id; nothing is sent."""
        # A random id, not a counter: forked work-horses may share one provider object.
        provider_message_id = f"dev-{uuid.uuid4().hex}"
        logger.info("SMS (not sent, logging provider) %s to %s: %s", provider_message_id, to, body)
        if self.sent is not None:
            self.sent.append((to, body))
        return SmsResult(provider_message_id=provider_message_id, status="logged", raw={"to": to, "body": body})
