"""VERP addresses: the message id and a truncated HMAC in the envelope sender's local part, within
RFC 5321's 64 octets, read back only when the MAC checks (with the key or a fallback)."""

from __future__ import annotations

import pytest
from flask import Flask

from flask_broadcasts.signing import check_bounce_address, verp_address, verp_message_id

BOUNCES = "bounces@example.com"
LARGEST_ID = 2**63 - 1


@pytest.fixture
def app():
    app = Flask("verp")
    app.config.update(SECRET_KEY="verp-secret")
    with app.app_context():
        yield app


def test_an_address_names_its_message_and_stays_within_64_octets(app) -> None:
    for message_id in (1, 42, LARGEST_ID):
        address = verp_address(BOUNCES, message_id)
        local, _, domain = address.rpartition("@")
        assert local.startswith(f"bounces+{message_id}-") and domain == "example.com"
        assert len(local.encode()) <= 64
        assert verp_message_id(address, BOUNCES) == message_id
        # Mail systems may change the case of a local part, or add angle brackets.
        assert verp_message_id(f"<{address.upper()}>", BOUNCES) == message_id
    assert verp_address(BOUNCES, 7) != verp_address(BOUNCES, 8)
    longest = "b" * 27 + "@example.com"
    assert len(verp_address(longest, LARGEST_ID).rpartition("@")[0]) == 64


def test_a_forged_altered_or_foreign_address_names_no_message(app) -> None:
    address = verp_address(BOUNCES, 42)
    local, _, domain = address.rpartition("@")
    mac = local.rpartition("-")[2]
    assert verp_message_id(address.replace("+42-", "+43-"), BOUNCES) is None  # another id, same MAC
    assert verp_message_id(f"bounces+42-{'a' * 16}@{domain}", BOUNCES) is None
    assert verp_message_id(f"bounces+42-{mac[:-1]}@{domain}", BOUNCES) is None  # truncated
    assert verp_message_id(address.replace("@example.com", "@example.net"), BOUNCES) is None
    assert verp_message_id(address.replace("bounces+", "other+"), BOUNCES) is None
    assert verp_message_id(f"bounces+{'9' * 19}-{mac}@{domain}", BOUNCES) is None  # past a 64-bit id
    for junk in ("", "bounces@example.com", "bounces+@example.com", "+42-x@example.com", "@", "a@b@c"):
        assert verp_message_id(junk, BOUNCES) is None
    app.config["SECRET_KEY"] = "another-secret"
    assert verp_message_id(address, BOUNCES) is None


def test_a_rotated_key_still_reads_the_addresses_it_made(app) -> None:
    address = verp_address(BOUNCES, 42)
    app.config.update(SECRET_KEY="new-secret", SECRET_KEY_FALLBACKS=["verp-secret"])
    assert verp_message_id(address, BOUNCES) == 42
    assert verp_address(BOUNCES, 42) != address  # new addresses use the new key


@pytest.mark.parametrize(
    "bad",
    [
        "bounces",
        "@example.com",
        "bounces@",
        "bou nces@example.com",
        "b+x@example.com",
        "é@example.com",
        "b" * 28 + "@example.com",
    ],
)
def test_a_bounce_address_that_cannot_carry_a_token_is_refused(bad) -> None:
    with pytest.raises(ValueError, match="BROADCASTS_BOUNCE_ADDRESS"):
        check_bounce_address(bad)


def test_init_app_refuses_a_local_part_too_long_for_the_token() -> None:
    from flask_sqlalchemy import SQLAlchemy

    from flask_broadcasts import Broadcasts

    app = Flask("verp-init")
    app.config.update(
        SECRET_KEY="s", SQLALCHEMY_DATABASE_URI="sqlite://", BROADCASTS_BOUNCE_ADDRESS="x" * 40 + "@example.com"
    )
    with pytest.raises(ValueError, match="no room for the VERP token"):
        Broadcasts(app, db=SQLAlchemy(app))
