"""DKIM signatures of broadcast e-mails (RFC 6376), with dkimpy: the extra ``flask-broadcasts[dkim]``.

With ``BROADCASTS_DKIM_DOMAIN``, ``BROADCASTS_DKIM_SELECTOR`` and
``BROADCASTS_DKIM_PRIVATE_KEY`` set, the mail channel signs each e-mail it hands over.
``h=`` covers :data:`SIGNED_HEADERS` — among them ``List-Unsubscribe`` and
``List-Unsubscribe-Post``, which RFC 8058 §4 requires the signature to cover — and names
those that a forwarder could add a second copy of once more than they appear
(:data:`OVERSIGNED`), so an added copy breaks the signature instead of replacing what the
receiver reads. Canonicalization is relaxed/relaxed, which survives the re-folding of
headers by relays.

Keys: RSA in PEM (PKCS#1 ``BEGIN RSA PRIVATE KEY`` or PKCS#8), or Ed25519 (RFC 8463) in
PKCS#8 PEM as ``openssl genpkey -algorithm ed25519`` writes it, or in dkimpy's own form
(the base64 of the 32-byte seed).
"""

from __future__ import annotations

import base64
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["OVERSIGNED", "SIGNED_HEADERS", "DkimSigner", "build_dkim_signer", "read_private_key"]

#: The header fields ``h=`` names (lower-case, as dkimpy writes them).
SIGNED_HEADERS: tuple[str, ...] = (
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "list-id",
    "mime-version",
    "content-type",
)
#: Named once more than they appear: a copy added above the signed one fails verification.
OVERSIGNED: tuple[str, ...] = ("from", "subject", "list-unsubscribe", "list-unsubscribe-post")

# RFC 8410: the PKCS#8 DER of an Ed25519 private key is this prefix and the 32-byte seed.
_ED25519_PKCS8_PREFIX = bytes.fromhex("302e020100300506032b657004220420")
_PEM = re.compile(rb"-----BEGIN ([A-Z ]+)-----(.*?)-----END \1-----", re.S)


@dataclass(frozen=True)
class DkimSigner:
    """Signs e-mails for one domain and selector.

    :param algorithm: ``rsa-sha256`` or ``ed25519-sha256`` (``a=``).
    :param key: the private key as dkimpy takes it (PEM for RSA, base64 seed for Ed25519).
    """

    domain: str
    selector: str
    algorithm: str
    key: bytes

    def header(self, message: bytes) -> bytes:
        """The ``DKIM-Signature:`` header line (CRLF-terminated) of ``message``."""
        import dkim  # the extra: checked by build_dkim_signer at init_app

        return dkim.sign(
            message,
            self.selector.encode("ascii"),
            self.domain.encode("ascii"),
            self.key,
            canonicalize=(b"relaxed", b"relaxed"),
            signature_algorithm=self.algorithm.encode("ascii"),
            include_headers=[name.encode("ascii") for name in (*SIGNED_HEADERS, *OVERSIGNED)],
        )

    def sign(self, message: bytes) -> bytes:
        """``message`` with its ``DKIM-Signature`` header on top."""
        return self.header(message) + message


def read_private_key(value: str | bytes) -> tuple[str, bytes]:
    """``(algorithm, key)`` of a PEM key, a path to one, or dkimpy's base64 Ed25519 seed.

    :raises ValueError: nothing usable (the message says what was expected).
    """
    data = value.encode("ascii", "replace") if isinstance(value, str) else value
    if b"-----BEGIN" not in data and len(data) < 4096:
        path = Path(data.decode("utf-8", "replace").strip())
        try:
            if path.is_file():
                data = path.read_bytes()
        except OSError:
            pass
    match = _PEM.search(data)
    if match is None:
        try:
            seed = base64.b64decode(data.strip(), validate=True)
        except ValueError:
            seed = b""
        if len(seed) == 32:
            return "ed25519-sha256", base64.b64encode(seed)
        raise ValueError("not a PEM private key, a path to one, or a base64 Ed25519 seed")
    kind, body = match.group(1), match.group(2)
    if kind == b"PRIVATE KEY":
        der = base64.b64decode(b"".join(body.split()))
        if der.startswith(_ED25519_PKCS8_PREFIX) and len(der) == len(_ED25519_PKCS8_PREFIX) + 32:
            return "ed25519-sha256", base64.b64encode(der[len(_ED25519_PKCS8_PREFIX) :])
    if kind in (b"PRIVATE KEY", b"RSA PRIVATE KEY"):
        return "rsa-sha256", match.group(0) + b"\n"
    raise ValueError(f"a {kind.decode()} is not an RSA or Ed25519 private key")


def build_dkim_signer(settings: Any) -> DkimSigner | None:
    """The signer ``BROADCASTS_DKIM_*`` describe, or ``None`` when DKIM is off (no domain).

    Checked at ``init_app`` so a bad key fails at start-up, not at the first e-mail.

    :raises RuntimeError: dkimpy is not installed, a setting is missing, or the key is unusable.
    """
    if not settings.dkim_domain:
        return None
    if not settings.dkim_selector or not settings.dkim_private_key:
        raise RuntimeError("BROADCASTS_DKIM_DOMAIN needs BROADCASTS_DKIM_SELECTOR and BROADCASTS_DKIM_PRIVATE_KEY.")
    try:
        import dkim  # noqa: F401
    except ImportError:
        raise RuntimeError("DKIM signing needs dkimpy: pip install 'flask-broadcasts[dkim]'.") from None
    try:
        algorithm, key = read_private_key(settings.dkim_private_key)
    except ValueError as exc:
        raise RuntimeError(f"BROADCASTS_DKIM_PRIVATE_KEY: {exc}.") from None
    signer = DkimSigner(settings.dkim_domain.strip(), settings.dkim_selector.strip(), algorithm, key)
    try:  # a key dkimpy cannot use fails now
        signer.header(b"From: a@" + signer.domain.encode() + b"\r\n\r\nx\r\n")
    except Exception as exc:
        raise RuntimeError(f"BROADCASTS_DKIM_PRIVATE_KEY: dkimpy cannot sign with it ({exc}).") from None
    return signer
