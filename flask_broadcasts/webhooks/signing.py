"""Standard Webhooks signatures: ``webhook-id``, ``webhook-timestamp``, ``webhook-signature``.

The signature is ``v1,`` + base64 HMAC-SHA256 of ``id.timestamp.body`` with the secret in its
``whsec_`` + base64 form, computed by the ``standardwebhooks`` package (the reference
implementation of the convention; ``pip install flask-broadcasts[webhooks]``). Several
secrets (during a rotation) give several signatures, separated by spaces.
"""

from __future__ import annotations

import base64
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime

from ..errors import BroadcastsError

__all__ = ["SECRET_PREFIX", "new_event_id", "new_secret", "signed_headers"]

SECRET_PREFIX = "whsec_"
#: Bytes of a new secret (Standard Webhooks asks for 24 to 64).
SECRET_BYTES = 32


def new_secret() -> str:
    """A fresh signing secret, ``whsec_`` + base64 of 32 random bytes."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def new_event_id() -> str:
    """A ``webhook-id``: unique per event, the same on every attempt (receivers deduplicate on it)."""
    return "msg_" + secrets.token_urlsafe(18)


def signed_headers(keys: Iterable[str], event_id: str, timestamp: datetime, body: str) -> dict[str, str]:
    """The three Standard Webhooks headers (and ``Content-Type``) of one attempt."""
    try:
        from standardwebhooks.webhooks import Webhook
    except ImportError:  # an optional dependency
        raise BroadcastsError(
            "Webhook signatures need the standardwebhooks package: pip install flask-broadcasts[webhooks]"
        ) from None
    at = timestamp.astimezone(UTC)
    signatures = " ".join(Webhook(key).sign(event_id, at, body) for key in keys)
    return {
        "content-type": "application/json",
        "webhook-id": event_id,
        "webhook-timestamp": str(int(at.timestamp())),
        "webhook-signature": signatures,
    }
