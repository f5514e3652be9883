"""SendGrid's Event Webhook, signed (ECDSA P-256 over SHA-256).

SendGrid signs ``timestamp + body`` (``X-Twilio-Email-Event-Webhook-Timestamp`` and the
raw body) with its private key; ``X-Twilio-Email-Event-Webhook-Signature`` carries the
signature (base64 DER) and the settings page shows the public key (base64 DER), which
``BROADCASTS_SENDGRID_PUBLIC_KEY`` holds. The body is a JSON array of events, each with
``event``, ``email``, ``sg_event_id``, ``sg_message_id`` and ``smtp-id`` (our
``Message-ID``). A replayed request repeats ``sg_event_id``s: recognized, no effect.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Iterator, Mapping
from typing import Any

from .events import FeedbackEvent, FeedbackKind, InvalidSignature, NotConfigured

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "events_of", "load_public_key", "verify"]

PROVIDER = "sendgrid"
SIGNATURE_HEADER = "X-Twilio-Email-Event-Webhook-Signature"
TIMESTAMP_HEADER = "X-Twilio-Email-Event-Webhook-Timestamp"


def load_public_key(text: str) -> Any:
    """The key SendGrid shows (base64 DER), or a PEM block. :raises NotConfigured: neither."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.hazmat.primitives.serialization import load_der_public_key, load_pem_public_key

    try:
        if "BEGIN PUBLIC KEY" in text:
            key = load_pem_public_key(text.encode())
        else:
            key = load_der_public_key(base64.b64decode("".join(text.split())))
    except (ValueError, binascii.Error, TypeError):
        raise NotConfigured("BROADCASTS_SENDGRID_PUBLIC_KEY is not a public key") from None
    if not isinstance(key, ec.EllipticCurvePublicKey):
        raise NotConfigured("BROADCASTS_SENDGRID_PUBLIC_KEY is not an ECDSA key")
    return key


def verify(body: bytes, headers: Mapping[str, str] | Any, public_key: str | None) -> None:
    """:raises InvalidSignature: unless SendGrid's key signed ``timestamp + body``."""
    from cryptography.exceptions import InvalidSignature as BadSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import ec

    if not public_key:
        raise NotConfigured("BROADCASTS_SENDGRID_PUBLIC_KEY is not set")
    key = load_public_key(public_key)
    timestamp = headers.get(TIMESTAMP_HEADER, "")
    try:
        signature = base64.b64decode(headers.get(SIGNATURE_HEADER, ""), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("signature is not base64") from None
    if not signature or not timestamp:
        raise InvalidSignature("unsigned")
    try:
        key.verify(signature, timestamp.encode("utf-8", "surrogateescape") + body, ec.ECDSA(hashes.SHA256()))
    except BadSignature:
        raise InvalidSignature("bad signature") from None


def _kind(event: Mapping[str, Any]) -> FeedbackKind | None:
    name = event.get("event")
    if name == "delivered":
        return FeedbackKind.DELIVERED
    if name == "bounce":
        # ``type`` "blocked" is SendGrid's soft bounce; "bounce" (or none) a hard one.
        return FeedbackKind.SOFT_BOUNCE if event.get("type") == "blocked" else FeedbackKind.HARD_BOUNCE
    if name == "spamreport":
        return FeedbackKind.COMPLAINT
    return None  # processed, deferred, dropped, open, click...: not feedback we act on


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def events_of(body: bytes) -> Iterator[FeedbackEvent]:
    """The reports in a verified body (what is not JSON or not an event is skipped)."""
    try:
        document = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return
    for event in document if isinstance(document, list) else []:
        if not isinstance(event, dict):
            continue
        kind = _kind(event)
        if kind is None:
            continue
        address = _text(event.get("email"))
        key = _text(event.get("sg_event_id")) or f"{event.get('sg_message_id')}:{kind.value}:{address}"
        code = " ".join(str(event[name]) for name in ("status", "reason") if _text(event.get(name)))
        yield FeedbackEvent(
            provider=PROVIDER,
            kind=kind,
            key=key,
            message_id_header=_text(event.get("smtp-id")),
            # "<id>.filter...": the part before the first dot is the id SendGrid answered with.
            provider_message_id=_text(event.get("sg_message_id")),
            address=address,
            detail=f"sendgrid: {code}" if code else None,
        )
