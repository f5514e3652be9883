"""The hand-built MIME of one recipient, read back with the standard library's parser."""

from __future__ import annotations

import base64
import email
import email.policy

import pytest

from flask_broadcasts.channels.mime import MimeBuilder
from tests.support.subjects import SUBJECTS


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


def _parts(data: bytes) -> dict[str, email.message.EmailMessage]:
    message = email.message_from_bytes(data, policy=email.policy.default)
    return {part.get_content_type(): part for part in message.walk() if not part.is_multipart()}


def _decoded(part: email.message.EmailMessage) -> str:
    return part.get_payload(decode=True).decode("utf-8").replace("\r\n", "\n")


def _build(body: str, *, eight_bit: bool = False) -> bytes:
    builder = MimeBuilder("news@example.org", campaign_id=7, run_key="once")
    built = builder.build(
        to="ann@example.org",
        subject="Hi",
        body=body,
        action_label=None,
        action_url=None,
        recipient_type="customers",
        recipient_id="42",
        eight_bit=eight_bit,
    )
    return built.data


def _html_document(body: str) -> str:
    return '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + body + "</body></html>"


BODIES = {
    "ascii": ('<table style="color:#111">\n<tr><td>Hello Ann</td></tr>\n</table>', "7bit", "7bit"),
    "latin": ("<p>Bonjour Zoë, à très bientôt</p>\n<p>L'équipe</p>", "quoted-printable", "8bit"),
    "non-latin": ("<p>" + "日本語のニュースレターです。\n" * 40 + "</p>", "base64", "8bit"),
    "long non-latin line": ("<p>" + "日本語のニュースレターです。" * 40 + "</p>", "base64", "base64"),
    "long line": ("<p>" + "word " * 400 + "</p>", "quoted-printable", "quoted-printable"),
    "leading dot": ("<p>first</p>\n.second line starts with a dot\n.\n<p>end</p>", "7bit", "7bit"),
    "lone CR": ("<p>one</p>\r<p>two</p>", "base64", "base64"),
}


@pytest.mark.parametrize("name", BODIES)
@pytest.mark.parametrize("eight_bit", [False, True], ids=["7bit-server", "8bitmime-server"])
def test_each_part_goes_in_the_smallest_safe_encoding_and_decodes_to_the_body(name, eight_bit):
    body, html_encoding, html_encoding_8bit = BODIES[name]
    data = _build(body, eight_bit=eight_bit)
    parts = _parts(data)
    html_part = parts["text/html"]
    assert html_part["Content-Transfer-Encoding"] == (html_encoding_8bit if eight_bit else html_encoding)
    expected = _html_document(body).replace("\r\n", "\n")
    if "\r" in expected:  # kept exactly: base64
        assert html_part.get_payload(decode=True).decode("utf-8") == expected
    else:
        assert _decoded(html_part) == expected
    # What the protocol requires of every line, whatever the encoding.
    lines = data.split(b"\r\n")
    assert all(len(line) <= 998 for line in lines)
    assert b"\r" not in data.replace(b"\r\n", b"") and b"\n" not in data.replace(b"\r\n", b"")
    if not eight_bit:
        assert data.isascii()


def test_quoted_printable_is_smaller_than_base64_for_a_latin_newsletter():
    body = ('<p style="margin:0">Chère Zoë, voici les nouveautés de décembre.</p>\n') * 200
    html_part = _parts(_build(body))["text/html"]
    assert html_part["Content-Transfer-Encoding"] == "quoted-printable"
    wire_size = len(html_part.get_payload(decode=False))
    assert wire_size < len(base64.encodebytes(_html_document(body).encode()))


def test_a_body_holding_the_boundary_is_never_sent_as_is():
    builder = MimeBuilder("news@example.org", campaign_id=7, run_key="once")
    boundary = builder._alt.decode()  # noqa: SLF001 - the random boundary the body imitates
    body = f"<p>trap</p>\n--{boundary}--\n<p>after</p>"
    built = builder.build(
        to="ann@example.org",
        subject="Hi",
        body=body,
        action_label=None,
        action_url=None,
        recipient_type="customers",
        recipient_id="42",
    )
    parts = _parts(built.data)
    assert parts["text/html"]["Content-Transfer-Encoding"] == "quoted-printable"
    assert _decoded(parts["text/html"]) == _html_document(body)
    assert "after" in _decoded(parts["text/plain"])
