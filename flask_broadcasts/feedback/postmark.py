"""Postmark's webhooks (Delivery, Bounce, SpamComplaint), authenticated by HTTP basic auth.

Postmark has no signature: the webhook URL is configured with a user name and password
(``https://user:password@app.example.com/...``), which arrive as ``Authorization: Basic``;
``BROADCASTS_POSTMARK_WEBHOOK_USERNAME`` / ``_PASSWORD`` hold them and are compared in
constant time. Each request is one JSON object: ``RecordType``, ``MessageID`` (Postmark's,
which is our ``Message-ID`` when the e-mail was sent with ``X-PM-KeepID: true``),
``Email``/``Recipient``, and for a bounce ``Type`` and ``ID``.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Iterator
from typing import Any

from .events import FeedbackEvent, FeedbackKind, InvalidSignature, NotConfigured

__all__ = ["events_of", "verify"]

PROVIDER = "postmark"
#: Postmark's bounce ``Type``s that mean the address will never work.
HARD_TYPES = frozenset({"HardBounce", "BadEmailAddress", "ManuallyDeactivated"})
#: Those that mean "not now" (counted towards BROADCASTS_SOFT_BOUNCE_LIMIT); the rest
#: (auto-responders, challenge verifications...) are not bounces of the address.
SOFT_TYPES = frozenset({"SoftBounce", "Transient", "DnsError", "Blocked", "SMTPApiError"})


def verify(authorization: str | None, username: str | None, password: str | None) -> None:
    """:raises InvalidSignature: unless ``authorization`` is Basic with the configured pair."""
    if not username or not password:
        raise NotConfigured("BROADCASTS_POSTMARK_WEBHOOK_USERNAME / _PASSWORD are not set")
    scheme, _, encoded = (authorization or "").partition(" ")
    if scheme.lower() != "basic":
        raise InvalidSignature("no basic auth")
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("basic auth is not base64") from None
    expected = f"{username}:{password}".encode()
    if not hmac.compare_digest(given, expected):
        raise InvalidSignature("wrong credentials")


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def events_of(body: bytes) -> Iterator[FeedbackEvent]:
    """The report in an authenticated body (nothing when it is none we act on)."""
    try:
        record = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    if not isinstance(record, dict):
        return
    record_type = record.get("RecordType")
    kind: FeedbackKind | None = None
    if record_type == "Delivery":
        kind = FeedbackKind.DELIVERED
    elif record_type == "SpamComplaint" or record.get("Type") == "SpamComplaint":
        kind = FeedbackKind.COMPLAINT
    elif record_type == "Bounce":
        # str() first: a list or an object there is unhashable (a TypeError, a 500).
        bounce_type = str(record.get("Type"))
        kind = (
            FeedbackKind.HARD_BOUNCE
            if bounce_type in HARD_TYPES
            else FeedbackKind.SOFT_BOUNCE
            if bounce_type in SOFT_TYPES
            else None
        )
    if kind is None:
        return
    message_id = _text(record.get("MessageID"))
    address = _text(record.get("Email")) or _text(record.get("Recipient"))
    record_id = record.get("ID")
    key = f"{record_type}:{record_id}" if record_id is not None else f"{record_type}:{message_id}:{address}"
    words = " ".join(t for t in (_text(record.get("Type")), _text(record.get("Description"))) if t)
    yield FeedbackEvent(
        provider=PROVIDER,
        kind=kind,
        key=key,
        provider_message_id=message_id,
        address=address,
        detail=f"postmark: {words}" if words else None,
    )
