"""The hand-built MIME of one recipient, read back with the standard library's parser."""

from __future__ import annotations

import email
import email.policy
from email.header import decode_header, make_header

import pytest

from flask_broadcasts.channels.mime import MimeBuilder, encode_header

SUBJECTS = [
    "Hello Ann",
    "Héllo Zoë — your booking on 12 März is confirmed 🎉 " * 3,
    "日本語の件名です" * 12,
    "long ascii " * 100,
]


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subject_survives_encoding_and_folding(subject):
    encoded = encode_header(subject)
    assert encoded.isascii()
    assert all(len(line) <= 78 for line in encoded.split("\r\n"))
    decoded = str(make_header(decode_header(encoded.replace("\r\n", ""))))
    assert decoded == subject.strip()


@pytest.mark.parametrize("subject", SUBJECTS)
def test_a_built_message_parses_back_to_what_went_in(subject):
    builder = MimeBuilder(("Café Team", "news@example.org"), campaign_id=7, run_key="once")
    built = builder.build(
        to="ann@example.org",
        subject=subject,
        body="<p>Hi <b>Ann</b></p>",
        action_label="Book",
        action_url="https://example.org/b?x=1&y=2",
        recipient_type="customers",
        recipient_id="42",
    )
    message = email.message_from_bytes(built.data, policy=email.policy.default)
    assert message["Subject"] == subject.strip()
    assert message["To"] == "ann@example.org"
    assert message["Message-ID"] == built.message_id == "<broadcast.7.once.customers.42@example.org>"
    assert message["Date"].datetime is not None
    text = message.get_body(("plain",)).get_content()
    assert "Hi Ann" in text and "Book: https://example.org/b?x=1&y=2" in text
    assert 'href="https://example.org/b?x=1&amp;y=2"' in message.get_body(("html",)).get_content()
