"""DKIM key pairs made for a test, and the DNS lookup dkimpy is given instead of the network."""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

DOMAIN = "news.example.test"


@dataclass(frozen=True)
class KeyPair:
    """A private key as ``BROADCASTS_DKIM_PRIVATE_KEY`` takes it and the TXT record of its public key."""

    private_pem: str
    txt: bytes
    algorithm: str


def rsa_key_pair(bits: int = 2048, *, pkcs1: bool = False) -> KeyPair:
    key = rsa.generate_private_key(public_exponent=65537, key_size=bits)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.TraditionalOpenSSL if pkcs1 else serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return KeyPair(pem, b"v=DKIM1; k=rsa; p=" + base64.b64encode(public), "rsa-sha256")


def ed25519_key_pair() -> KeyPair:
    """As ``openssl genpkey -algorithm ed25519`` writes it (PKCS#8 PEM); RFC 8463's record."""
    key = ed25519.Ed25519PrivateKey.generate()
    pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = key.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return KeyPair(pem, b"v=DKIM1; k=ed25519; p=" + base64.b64encode(public), "ed25519-sha256")


def dns(records: Mapping[str, bytes]) -> Callable[..., bytes | None]:
    """dkimpy's ``dnsfunc(name, timeout=...)``: the TXT record of ``<selector>._domainkey.<domain>.``."""

    def lookup(name: bytes, timeout: float = 5) -> bytes | None:
        return records.get(name.decode().rstrip("."))

    return lookup
