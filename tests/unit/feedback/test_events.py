"""flask_broadcasts.feedback.events: the report every feedback source is translated into.

What a user relies on: a provider's report id becomes a stored key (``event_key``) that is the
same each time the provider sends that report again (so a repeat is recognized and applied
once), differs between providers, and fits the 64 characters of its column whatever the id;
and an unconfigured provider's requests are refused as unsigned ones are."""

from __future__ import annotations

import re

from flask_broadcasts.feedback.events import FeedbackEvent, FeedbackKind, InvalidSignature, NotConfigured, event_key


def test_a_report_sent_again_gets_the_same_fixed_length_key() -> None:
    ids = ["0100018c-ses-message", "x" * 5000, "<dsn-1@mx.example.net>:42", ""]
    for report_id in ids:
        key = event_key("ses", report_id)
        assert re.fullmatch(r"[0-9a-f]{64}", key), report_id
        assert event_key("ses", report_id) == key
    assert len({event_key("ses", report_id) for report_id in ids}) == len(ids)


def test_the_same_report_id_from_two_providers_is_two_reports() -> None:
    assert event_key("sendgrid", "evt-1") != event_key("postmark", "evt-1")
    # Not a bare concatenation: moving a character between provider and id changes the key.
    assert event_key("mail", "gun1") != event_key("mailgun", "1")


def test_an_id_read_from_undecodable_bytes_still_has_a_key() -> None:
    report_id = b"bounce-\xff\xfe".decode("utf-8", "surrogateescape")  # what a mail header can carry
    assert event_key("mail", report_id) != event_key("mail", "bounce-")
    event = FeedbackEvent(provider="mail", kind=FeedbackKind.HARD_BOUNCE, key=report_id, message_id=1)
    assert len(event_key(event.provider, event.key)) == 64


def test_an_unconfigured_provider_is_refused_like_a_bad_signature() -> None:
    # The webhooks catch InvalidSignature to answer 401: a missing key must be caught by it too.
    assert issubclass(NotConfigured, InvalidSignature)
    assert issubclass(InvalidSignature, ValueError)
