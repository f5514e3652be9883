"""What reaches a header or the SMTP envelope: one line, ASCII on the wire, safe links only."""

from __future__ import annotations

from email.header import decode_header, make_header

import pytest

from flask_broadcasts.channels.headers import InvalidAddress, ascii_address, encode_header, one_line, safe_url, slug
from tests.support.subjects import SUBJECTS


@pytest.mark.parametrize("subject", SUBJECTS)
def test_subject_survives_encoding_and_folding(subject):
    encoded = encode_header(subject)
    assert encoded.isascii()
    assert all(len(line) <= 78 for line in encoded.split("\r\n"))
    decoded = str(make_header(decode_header(encoded.replace("\r\n", ""))))
    assert decoded == subject.strip()


def test_no_line_break_of_a_value_can_start_a_header_of_its_own():
    assert one_line("Sale\r\nBcc: victim@example.com") == "Sale Bcc: victim@example.com"
    assert "\n" not in encode_header("Héllo\nBcc: victim@example.com")
    assert one_line("a\u2028b\x00c") == "a b c"


def test_an_international_domain_goes_into_the_envelope_as_idna():
    assert ascii_address(" ann@bücher.example ") == "ann@xn--bcher-kva.example"


@pytest.mark.parametrize(
    "address",
    [
        None,
        "",
        "ann",
        "ann@@example.com",
        "ann@",
        "@example.com",
        "a nn@example.com",
        "ann@x.com\r\nRCPT TO:<b@y>",
        "zoë@example.com",
    ],
)
def test_addresses_an_envelope_cannot_carry_are_refused(address):
    with pytest.raises(InvalidAddress):
        ascii_address(address)


def test_only_web_and_mail_links_are_kept():
    assert safe_url(" https://example.com/a ") == "https://example.com/a"
    assert safe_url("mailto:ann@example.com") == "mailto:ann@example.com"
    assert safe_url("javascript:alert(1)") is None
    assert safe_url("data:text/html,x") is None
    assert safe_url("http://[::1") is None  # unparsable
    assert safe_url(None) is None


def test_a_message_id_part_is_letters_digits_and_dashes_and_never_empty():
    assert slug("org 7/ä:b") == "org-7-b"
    assert slug("///") == "x"
