"""DKIM signatures (dkimpy) of the e-mails the MIME builder makes: verified with a key pair the
test makes and a DNS lookup it injects; ``h=`` covers the unsubscribe headers (RFC 8058 §4);
a changed or added header fails."""

from __future__ import annotations

from types import SimpleNamespace

import dkim
import pytest

from flask_broadcasts.channels.dkim import (
    OVERSIGNED,
    SIGNED_HEADERS,
    DkimSigner,
    build_dkim_signer,
    read_private_key,
)
from flask_broadcasts.channels.mime import MimeBuilder, Unsubscribe
from tests.support.dkim import DOMAIN, dns, ed25519_key_pair, rsa_key_pair

NAMES = ("ed25519", "rsa")


@pytest.fixture(scope="module")
def keys() -> dict:
    return {"rsa": rsa_key_pair(2048), "ed25519": ed25519_key_pair()}


def _email() -> bytes:
    builder = MimeBuilder(
        ("Salon Étoile", f"news@{DOMAIN}"), campaign_id=7, run_key="once", list_id=f'"Salon" <org-1.{DOMAIN}>'
    )
    return builder.build(
        to="ann@example.org",
        subject="Hello Ann, ça va ?",
        body="<p>Hi</p>",
        action_label=None,
        action_url=None,
        recipient_type="customers",
        recipient_id="1",
        unsubscribe=Unsubscribe("https://app.example.test/api/broadcast-unsubscribe/tok"),
    ).data


def _signer(keys: dict, name: str) -> tuple[DkimSigner, object]:
    pair = keys[name]
    signer = build_dkim_signer(
        SimpleNamespace(dkim_domain=DOMAIN, dkim_selector="s1", dkim_private_key=pair.private_pem)
    )
    assert signer is not None and signer.algorithm == pair.algorithm
    return signer, dns({f"s1._domainkey.{DOMAIN}": pair.txt})


@pytest.mark.parametrize("name", NAMES)
def test_a_signed_email_verifies_and_h_covers_the_unsubscribe_headers(keys: dict, name: str) -> None:
    signer, lookup = _signer(keys, name)
    signed = signer.sign(_email())
    assert dkim.verify(signed, dnsfunc=lookup)
    header = signed.split(b"\r\n\r\n", 1)[0].decode()
    tags = dict(part.strip().split("=", 1) for part in header.split("DKIM-Signature:", 1)[1].split(";") if "=" in part)
    signed_names = [n.strip() for n in "".join(tags["h"].split()).split(":")]
    for required in (
        "from",
        "to",
        "subject",
        "date",
        "message-id",
        "list-unsubscribe",
        "list-unsubscribe-post",
        "list-id",
    ):
        assert required in signed_names
    assert signed_names == [*SIGNED_HEADERS, *OVERSIGNED]
    assert (tags["d"], tags["s"], tags["a"], tags["c"]) == (DOMAIN, "s1", keys[name].algorithm, "relaxed/relaxed")


@pytest.mark.parametrize("name", NAMES)
def test_a_changed_or_added_header_or_body_fails(keys: dict, name: str) -> None:
    signer, lookup = _signer(keys, name)
    signed = signer.sign(_email())
    head, body = signed.split(b"\r\n\r\n", 1)
    link = b"<https://app.example.test/api/broadcast-unsubscribe/tok>"
    tampered = {
        "another link": signed.replace(link, b"<https://evil.example/u>"),
        "subject": signed.replace(b"Subject: ", b"Subject: Re: ", 1),
        "one-click removed": signed.replace(b"List-Unsubscribe-Post: List-Unsubscribe=One-Click\r\n", b""),
        # A second List-Unsubscribe above the signed one (oversigned: it breaks the signature).
        "added link": b"List-Unsubscribe: <https://evil.example/u>\r\n" + signed,
        "body": head + b"\r\n\r\n" + body.replace(b"--=_alt", b"\r\n--=_alt", 1),
    }
    for what, message in tampered.items():
        assert message != signed, what
        assert not dkim.verify(message, dnsfunc=lookup), what


def test_keys_in_every_accepted_form(keys: dict, tmp_path) -> None:
    rsa1 = rsa_key_pair(1024, pkcs1=True)
    assert read_private_key(rsa1.private_pem)[0] == "rsa-sha256"
    assert read_private_key(keys["rsa"].private_pem)[0] == "rsa-sha256"
    algorithm, seed = read_private_key(keys["ed25519"].private_pem)
    assert algorithm == "ed25519-sha256" and read_private_key(seed) == (algorithm, seed)  # dkimpy's own form
    path = tmp_path / "dkim.pem"
    path.write_text(keys["ed25519"].private_pem)
    assert read_private_key(str(path)) == (algorithm, seed)
    for junk in ("", "not a key", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----"):
        with pytest.raises(ValueError):
            read_private_key(junk)


def test_the_settings_are_checked_at_start_up() -> None:
    assert build_dkim_signer(SimpleNamespace(dkim_domain=None, dkim_selector=None, dkim_private_key=None)) is None
    with pytest.raises(RuntimeError, match="SELECTOR"):
        build_dkim_signer(SimpleNamespace(dkim_domain=DOMAIN, dkim_selector=None, dkim_private_key="x"))
    with pytest.raises(RuntimeError, match="PRIVATE_KEY"):
        build_dkim_signer(SimpleNamespace(dkim_domain=DOMAIN, dkim_selector="s1", dkim_private_key="not a key"))
