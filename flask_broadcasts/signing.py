"""Signed tokens of the public, unauthenticated endpoints (unsubscribe, tracking, bounces).

Every kind of token has a salt of its own (:class:`TokenKind`), so a token issued for one
endpoint is refused by every other. Tokens are signed with ``SECRET_KEY`` and verified
with it and each of ``SECRET_KEY_FALLBACKS`` (Flask 3.1's list of older keys), so a key
can rotate without breaking the links already sent. itsdangerous compares signatures in
constant time. A token is signed, not encrypted: it carries ids only, never an address.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeTimedSerializer

__all__ = ["InvalidToken", "TokenKind", "keyed_digest", "sign", "verify"]


@dataclass(frozen=True)
class TokenKind:
    """One kind of token, named by its salt (``broadcasts.unsubscribe``)."""

    salt: str


class InvalidToken(ValueError):
    """A token that is forged, altered, of another kind, malformed or expired."""


def _serializer(kind: TokenKind) -> URLSafeTimedSerializer:
    config = current_app.config
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Set SECRET_KEY: the links of broadcast e-mails are signed with it.")
    # itsdangerous signs with the last key and accepts any of them.
    keys = [*(config.get("SECRET_KEY_FALLBACKS") or ()), secret]
    return URLSafeTimedSerializer(keys, salt=kind.salt)


def sign(kind: TokenKind, payload: Any) -> str:
    """A URL-safe token carrying ``payload`` (JSON: ids only), signed for ``kind``."""
    return _serializer(kind).dumps(payload)


def verify(kind: TokenKind, token: str, *, max_age: int) -> Any:
    """The payload of a valid ``kind`` token at most ``max_age`` seconds old.

    :raises InvalidToken: anything else (never a 5xx for any input).
    """
    try:
        return _serializer(kind).loads(token, max_age=max_age)
    except (BadData, UnicodeError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from None


def keyed_digest(kind: TokenKind, value: str) -> str:
    """A keyed HMAC-SHA256 of ``value`` (hex): equal values give equal digests, and nobody
    without ``SECRET_KEY`` can tell the value from it or test a guess (an IP address).

    Keyed with ``SECRET_KEY`` and ``kind``'s salt; a rotated key makes new digests.
    """
    secret = current_app.config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Set SECRET_KEY: the links of broadcast e-mails are signed with it.")
    key = secret.encode() if isinstance(secret, str) else bytes(secret)
    return hmac.new(key, f"{kind.salt}\0{value}".encode(), hashlib.sha256).hexdigest()
