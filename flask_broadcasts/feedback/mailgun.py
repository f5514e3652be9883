"""Mailgun's webhooks (``delivered``, ``failed``, ``complained``), signed with HMAC-SHA256.

Each body carries ``signature: {timestamp, token, signature}``; the signature is the hex
HMAC-SHA256 of ``timestamp + token`` with the HTTP webhook signing key
(``BROADCASTS_MAILGUN_SIGNING_KEY``). A timestamp more than five minutes away from now is
refused (a replay of an old request), and ``event-data.id`` makes a replay within that
window a repeated report. ``event-data.message.headers.message-id`` is our ``Message-ID``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from collections.abc import Iterator, Mapping
from typing import Any

from .events import FeedbackEvent, FeedbackKind, InvalidSignature, NotConfigured

__all__ = ["MAX_AGE", "events_of", "parse", "verify"]

PROVIDER = "mailgun"
#: Seconds a signed request stays acceptable (either way from now).
MAX_AGE = 300


def parse(body: bytes) -> Mapping[str, Any]:
    """The JSON object of ``body``. :raises InvalidSignature: not one (it cannot be signed)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidSignature("not JSON") from None
    if not isinstance(document, dict):
        raise InvalidSignature("not a Mailgun webhook")
    return document


def verify(document: Mapping[str, Any], signing_key: str | None, *, now: float | None = None) -> None:
    """:raises InvalidSignature: unless the key signed it within :data:`MAX_AGE` of ``now``."""
    if not signing_key:
        raise NotConfigured("BROADCASTS_MAILGUN_SIGNING_KEY is not set")
    signed = document.get("signature")
    if not isinstance(signed, dict):
        raise InvalidSignature("unsigned")
    timestamp, token, signature = (str(signed.get(name, "")) for name in ("timestamp", "token", "signature"))
    try:
        age = abs((time.time() if now is None else now) - float(timestamp))
    except (ValueError, OverflowError):
        raise InvalidSignature("bad timestamp") from None
    if not age <= MAX_AGE:  # also refuses NaN
        raise InvalidSignature("too old (or from the future)")
    expected = hmac.new(signing_key.encode(), (timestamp + token).encode("utf-8", "surrogateescape"), hashlib.sha256)
    if not hmac.compare_digest(expected.hexdigest(), signature.lower().encode("ascii", "replace").decode()):
        raise InvalidSignature("bad signature")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def events_of(document: Mapping[str, Any]) -> Iterator[FeedbackEvent]:
    """The report in a verified document."""
    data = document.get("event-data")
    if not isinstance(data, dict):
        return
    name = data.get("event")
    if name == "delivered":
        kind = FeedbackKind.DELIVERED
    elif name == "failed":
        kind = FeedbackKind.HARD_BOUNCE if data.get("severity") == "permanent" else FeedbackKind.SOFT_BOUNCE
    elif name == "complained":
        kind = FeedbackKind.COMPLAINT
    else:
        return
    message = data.get("message")
    headers = message.get("headers") if isinstance(message, dict) else None
    message_id = _text(headers.get("message-id")) if isinstance(headers, dict) else None
    status = data.get("delivery-status")
    detail = None
    if isinstance(status, dict):
        words = _text(status.get("description")) or _text(status.get("message")) or ""
        detail = f"mailgun {status.get('code', '')}: {words}".strip()
    address = _text(data.get("recipient"))
    yield FeedbackEvent(
        provider=PROVIDER,
        kind=kind,
        key=_text(data.get("id")) or f"{message_id}:{name}:{address}:{data.get('timestamp')}",
        message_id_header=message_id,
        address=address,
        detail=detail,
    )
