"""Signed tokens of the public, unauthenticated endpoints (unsubscribe, tracking, bounces).

Every kind of token has a salt of its own (:class:`TokenKind`), so a token issued for one
endpoint is refused by every other. Tokens are signed with ``SECRET_KEY`` and verified
with it and each of ``SECRET_KEY_FALLBACKS`` (Flask 3.1's list of older keys), so a key
can rotate without breaking the links already sent. itsdangerous compares signatures in
constant time. A token is signed, not encrypted: it carries ids only, never an address.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flask import current_app
from itsdangerous import BadData, URLSafeSerializer, URLSafeTimedSerializer
from itsdangerous.encoding import base64_decode, base64_encode, int_to_bytes, want_bytes

__all__ = [
    "BOUNCE",
    "InvalidToken",
    "TokenKind",
    "TokenMinter",
    "check_bounce_address",
    "keyed_digest",
    "sign",
    "sign_stable",
    "verify",
    "verify_stable",
    "verify_stamped",
    "verp_address",
    "verp_addresses",
    "verp_message_id",
]


@dataclass(frozen=True)
class TokenKind:
    """One kind of token, named by its salt (``broadcasts.unsubscribe``)."""

    salt: str


class InvalidToken(ValueError):
    """A token that is forged, altered, of another kind, malformed or expired."""


def _signing_keys() -> list[Any]:
    """``SECRET_KEY_FALLBACKS`` then ``SECRET_KEY``: itsdangerous signs with the last key and
    accepts any of them."""
    config = current_app.config
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Set SECRET_KEY: the links of broadcast e-mails are signed with it.")
    return [*(config.get("SECRET_KEY_FALLBACKS") or ()), secret]


def _serializer(kind: TokenKind) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(_signing_keys(), salt=kind.salt)


def sign(kind: TokenKind, payload: Any) -> str:
    """A URL-safe token carrying ``payload`` (JSON: ids only), signed for ``kind``."""
    return _serializer(kind).dumps(payload)


class TokenMinter:
    """Signs many tokens of one kind, each at a time it is given: a batch of e-mails signs
    one link each.

    :func:`sign` builds a serializer, derives the key and tries zlib on every call, which
    made signing the largest cost of an e-mail's own work; the minter does the first two
    once and never compresses (its payloads are a few ids, which zlib does not shorten).
    Its tokens are itsdangerous's format, so :func:`verify` reads them like any other.

    What is the same from one token to the next is kept, not built again: the JSON of a
    payload's leading strings (a batch's links share their organization and channel), and
    the time's part of the last time signed at (a run's messages share a few creation
    times). Without them, ``json.dumps`` and itsdangerous's encoding helpers were most of a
    token's cost.

    The time is the caller's, not the clock's, so that a message's link is a function of
    what is stored about it: built again (a resend, the API) it is the same link.
    """

    def __init__(self, kind: TokenKind) -> None:
        signer = _serializer(kind).make_signer()
        self._separator = want_bytes(signer.sep)
        # The keyed state of HMAC(derived key, ·), copied for each token.
        self._mac = hmac.new(signer.derive_key(), digestmod=signer.digest_method)
        self._heads: dict[tuple[str, ...], bytes] = {}
        self._last_stamp: tuple[datetime, bytes] | None = None

    def sign(self, payload: Any, *, at: datetime) -> str:
        """A token carrying ``payload`` (JSON: ids only), signed as if at ``at``."""
        value = _b64(self._dumps(payload)) + self._separator + self._stamp(at)
        mac = self._mac.copy()
        mac.update(value)
        return (value + self._separator + _b64(mac.digest())).decode("ascii")

    def _dumps(self, payload: Any) -> bytes:
        """``payload``'s JSON as itsdangerous writes it (compact, not ASCII-escaped)."""
        if type(payload) is list and payload and type(payload[-1]) is int:
            head = tuple(payload[:-1])
            prefix = self._heads.get(head)
            if prefix is None and len(self._heads) < _MAX_HEADS and all(type(item) is str for item in head):
                # '[' and each leading item's JSON with its ',': what json.dumps writes before the last item.
                prefix = self._heads[head] = _COMPACT_JSON.encode([*head, 0])[:-2].encode()
            if prefix is not None:
                return prefix + int.__repr__(payload[-1]).encode() + b"]"  # json's own spelling of an int
        return _COMPACT_JSON.encode(payload).encode()

    def _stamp(self, at: datetime) -> bytes:
        """The time's part of a token signed at ``at`` (itsdangerous's base64 of the epoch seconds)."""
        last = self._last_stamp
        # A naive and an aware time are never equal; two equal times of one zone are one
        # instant unless their fold differs (the repeated hour when clocks go back).
        if last is not None and (last[0] is at or (last[0] == at and last[0].fold == at.fold)):
            return last[1]
        stamp = _b64(int_to_bytes(_epoch_seconds(at)))
        self._last_stamp = (at, stamp)
        return stamp


#: The leading items a minter keeps the JSON of (a batch has one organization, two channels).
_MAX_HEADS = 64
#: ``json.dumps(obj, ensure_ascii=False, separators=(",", ":"))``, itsdangerous's, without
#: building an encoder per call.
_COMPACT_JSON = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def _b64(data: bytes) -> bytes:
    """itsdangerous's ``base64_encode`` of bytes (URL-safe, no padding), without its type checks."""
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def _epoch_seconds(at: datetime) -> int:
    """Whole seconds since the epoch; a naive ``at`` is UTC (SQLite gives stored times back naive)."""
    return int((at if at.tzinfo is not None else at.replace(tzinfo=UTC)).timestamp())


def _canonical(token: str) -> str:
    """``token`` if its signature is written the one way itsdangerous writes it, else :class:`InvalidToken`.

    The signature's last base64 character carries bits no byte uses, and the decoder
    ignores them: a genuine token with that character changed verified too (the
    unsubscribe route's fuzz test found one). Each token has one spelling, so a link
    altered in any character is refused, and no two URLs act for one token.
    """
    _, separator, signature = token.rpartition(".")
    try:
        canonical = separator and base64_encode(base64_decode(signature)).decode("ascii") == signature
    except (BadData, UnicodeError, ValueError, TypeError):
        canonical = False
    if not canonical:
        raise InvalidToken("invalid token")
    return token


def verify_stamped(kind: TokenKind, token: str) -> tuple[Any, datetime]:
    """The payload of a genuine ``kind`` token and the time it was signed at (aware UTC),
    whatever its age: for a caller that measures the age from something else.

    :raises InvalidToken: forged, altered, of another kind or malformed.
    """
    try:
        payload, signed_at = _serializer(kind).loads(_canonical(token), return_timestamp=True)
    except (BadData, UnicodeError, ValueError, TypeError, OverflowError, OSError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from None
    return payload, signed_at


def verify(kind: TokenKind, token: str, *, max_age: int) -> Any:
    """The payload of a valid ``kind`` token at most ``max_age`` seconds old.

    :raises InvalidToken: anything else (never a 5xx for any input).
    """
    try:
        return _serializer(kind).loads(_canonical(token), max_age=max_age)
    except (BadData, UnicodeError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from None


def _stable_serializer(kind: TokenKind) -> URLSafeSerializer:
    return URLSafeSerializer(_signing_keys(), salt=kind.salt)


def sign_stable(kind: TokenKind, payload: Any) -> str:
    """A token like :func:`sign`'s without a timestamp: the same payload always gives the same
    token (a tracked link of a message is the same in every copy of it). It never expires."""
    return _stable_serializer(kind).dumps(payload)


def verify_stable(kind: TokenKind, token: str) -> Any:
    """The payload of a valid :func:`sign_stable` token of ``kind``. :raises InvalidToken: else."""
    try:
        return _stable_serializer(kind).loads(_canonical(token))
    except (BadData, UnicodeError, ValueError, TypeError) as exc:
        raise InvalidToken(str(exc) or "invalid token") from None


def _secret_keys() -> list[bytes]:
    """``SECRET_KEY`` first, then each of ``SECRET_KEY_FALLBACKS``."""
    config = current_app.config
    secret = config.get("SECRET_KEY")
    if not secret:
        raise RuntimeError("Set SECRET_KEY: the links of broadcast e-mails are signed with it.")
    keys = [secret, *reversed(list(config.get("SECRET_KEY_FALLBACKS") or ()))]
    return [key.encode() if isinstance(key, str) else bytes(key) for key in keys]


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


# -- VERP: the envelope sender of each e-mail names its message ------------------------------

#: The salt of the VERP tokens of envelope senders (``bounces+<id>-<mac>@example.com``).
BOUNCE = TokenKind("broadcasts.bounce")
#: Characters of the token's MAC: base32 (a-z, 2-7, 80 bits), lower case because mail
#: systems may change the case of a local part.
VERP_MAC_LENGTH = 16
#: RFC 5321 4.5.3.1.1: a local part is at most 64 octets.
MAX_LOCAL_PART = 64
#: A message id (a 64-bit integer) has at most 19 digits; "+" and "-" around it.
_TOKEN_OVERHEAD = 1 + 19 + 1 + VERP_MAC_LENGTH
_LARGEST_ID = 2**63 - 1
_VERP_TOKEN = re.compile(rf"(\d{{1,19}})-([a-z2-7]{{{VERP_MAC_LENGTH}}})")


def check_bounce_address(address: str) -> tuple[str, str]:
    """``address``'s local part and domain, when every VERP address on it stays within
    RFC 5321's 64 octets. :raises ValueError: otherwise (at ``init_app``)."""
    local, at, domain = address.strip().rpartition("@")
    if not at or not local or not domain or not address.isascii() or "+" in local or any(c.isspace() for c in address):
        raise ValueError(f"BROADCASTS_BOUNCE_ADDRESS must be a plain ASCII address without '+': {address!r}")
    if len(local) + _TOKEN_OVERHEAD > MAX_LOCAL_PART:
        raise ValueError(
            f"BROADCASTS_BOUNCE_ADDRESS: its local part {local!r} leaves no room for the VERP token "
            f"(at most {MAX_LOCAL_PART - _TOKEN_OVERHEAD} characters)"
        )
    return local, domain


def _verp_mac(key: bytes, message_id: int) -> str:
    # 10 bytes of the HMAC are 16 base32 characters exactly (80 bits, no padding).
    digest = hmac.digest(key, f"{BOUNCE.salt}\0{message_id}".encode(), "sha256")
    return base64.b32encode(digest[:10]).decode("ascii").lower()


def verp_address(bounce_address: str, message_id: int) -> str:
    """The envelope sender of message ``message_id``: ``bounces+<id>-<mac>@example.com``
    on ``bounce_address`` (``bounces@example.com``), the MAC a truncated HMAC of the id
    keyed with ``SECRET_KEY``. Bounce mail comes back to it, naming the message."""
    return verp_addresses(bounce_address)(message_id)


def verp_addresses(bounce_address: str) -> Callable[[int], str]:
    """:func:`verp_address` on ``bounce_address``, its parts and the key read once (what a
    send lane uses for each of its messages)."""
    local, domain = check_bounce_address(bounce_address)
    key = _secret_keys()[0]
    return lambda message_id: f"{local}+{message_id}-{_verp_mac(key, message_id)}@{domain}"


def verp_message_id(address: str, bounce_address: str) -> int | None:
    """The message id in a VERP ``address`` on ``bounce_address`` whose MAC checks (with
    ``SECRET_KEY`` or one of ``SECRET_KEY_FALLBACKS``, in constant time); ``None`` for any
    other address, a forged or altered token included."""
    local, domain = check_bounce_address(bounce_address)
    candidate_local, at, candidate_domain = address.strip().strip("<>").rpartition("@")
    if not at or candidate_domain.lower() != domain.lower():
        return None
    base, plus, token = candidate_local.partition("+")
    if not plus or base.lower() != local.lower():
        return None
    match = _VERP_TOKEN.fullmatch(token.lower())
    if match is None:
        return None
    message_id = int(match.group(1))
    if message_id > _LARGEST_ID:  # 19 digits can exceed a 64-bit id: no such message
        return None
    mac = match.group(2)
    # Every key is compared, so the time taken does not say which one matched.
    valid = [hmac.compare_digest(_verp_mac(key, message_id), mac) for key in _secret_keys()]
    return message_id if any(valid) else None
