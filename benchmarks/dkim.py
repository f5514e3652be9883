"""What DKIM signing costs per e-mail: RSA-2048 against Ed25519, with dkimpy.

``python -m benchmarks.dkim [N]``: N e-mails built by the extension's
:class:`~flask_broadcasts.channels.mime.MimeBuilder` (a personalized subject, the one-click
headers, a short HTML body), then the same N signed by
:class:`~flask_broadcasts.channels.dkim.DkimSigner` with each key, as the mail channel does.
It prints the CPU per message (``time.process_time``, one process, one thread) of building
alone and of signing on top of it. The keys are made for the run (cryptography, a dev
dependency); nothing is sent.
"""

from __future__ import annotations

import sys
import time
from types import SimpleNamespace

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa

from flask_broadcasts.channels.dkim import build_dkim_signer
from flask_broadcasts.channels.mime import MimeBuilder, Unsubscribe

DOMAIN = "news.example.test"
BODY = "<p>Hello {name},</p><p>" + "Our spring offers are here. " * 20 + "</p>"


def _emails(n: int) -> list[bytes]:
    builder = MimeBuilder(f"News <news@{DOMAIN}>", campaign_id=1, run_key="once", list_id=f'"News" <org-1.{DOMAIN}>')
    return [
        builder.build(
            to=f"customer{i}@example.org",
            subject=f"Hello customer {i}, spring is here",
            body=BODY.replace("{name}", f"customer {i}"),
            action_label="See the offers",
            action_url="https://example.com/offers",
            recipient_type="customers",
            recipient_id=str(i),
            unsubscribe=Unsubscribe(f"https://app.example.com/api/broadcast-unsubscribe/token-{i}"),
        ).data
        for i in range(n)
    ]


def _pem(key: rsa.RSAPrivateKey | ed25519.Ed25519PrivateKey) -> str:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _cpu_us(work, n: int) -> float:  # noqa: ANN001
    start = time.process_time()
    work()
    return (time.process_time() - start) / n * 1e6


def main(n: int = 2000) -> None:
    build = _cpu_us(lambda: _emails(n), n)
    emails = _emails(n)
    print(f"{n} e-mails of {sum(map(len, emails)) // n} bytes")
    print(f"{'':16}{'CPU µs/message':>16}")
    print(f"{'build (MIME)':16}{build:16.0f}")
    keys = {
        "RSA-2048": rsa.generate_private_key(public_exponent=65537, key_size=2048),
        "Ed25519": ed25519.Ed25519PrivateKey.generate(),
    }
    for name, key in keys.items():
        settings = SimpleNamespace(dkim_domain=DOMAIN, dkim_selector="s1", dkim_private_key=_pem(key))
        signer = build_dkim_signer(settings)
        assert signer is not None
        sign = _cpu_us(lambda signer=signer: [signer.sign(data) for data in emails], n)
        print(f"{'sign ' + name:16}{sign:16.0f}")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
