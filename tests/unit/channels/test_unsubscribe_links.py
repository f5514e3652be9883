"""The unsubscribe link in the channels, without a server: headers, the placeholder, the footer."""

from __future__ import annotations

import email
from types import SimpleNamespace

from flask_broadcasts.channels.mail import UnsubscribeLinks
from flask_broadcasts.channels.mime import MimeBuilder
from flask_broadcasts.channels.sms import SmsChannel
from flask_broadcasts.channels.sms.logging_provider import LoggingSmsProvider


def _message(**values):
    defaults = {"id": 7, "organization_id": "o", "mobile": "+33612345678", "locale": None, "body": "<p>Hi</p>"}
    return SimpleNamespace(**{**defaults, **values})


def test_headers_and_footer_on_the_wire():
    builder = MimeBuilder(("Acme", "news@acme.test"), campaign_id=1, run_key="once", list_id='"Acme" <org-o.acme.test>')
    links = UnsubscribeLinks(lambda m: f"https://a.test/u/{m.id}", mailto="out@acme.test", footer_for=lambda m: "Stop")
    link = links.of(_message())
    built = builder.build(
        to="ann@example.com",
        subject="S",
        body="<p>Hi</p>",
        action_label=None,
        action_url=None,
        recipient_type="customers",
        recipient_id="1",
        unsubscribe=link,
    )
    parsed = email.message_from_bytes(built.data)
    assert parsed["List-Unsubscribe"] == "<https://a.test/u/7>, <mailto:out@acme.test>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == '"Acme" <org-o.acme.test>'
    html_part = next(p for p in parsed.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert b'<a href="https://a.test/u/7" style="color:#6b7280">Stop</a>' in html_part
    # A body that places the link itself gets no footer.
    assert links.of(_message(body='<a href="{unsubscribe_url}">x</a>')).footer is None


def test_sms_fills_the_placeholder_with_its_own_link():
    sent: list[tuple[str, str]] = []
    channel = SmsChannel(
        LoggingSmsProvider(sent=sent), status_callback=None, unsubscribe_url_for=lambda m: f"https://a.test/s/{m.id}"
    )
    channel.deliver(_message(body_short="Bye: {unsubscribe_url}"), before_handover=lambda: None, following=None)
    channel.deliver(_message(body_short="No link"), before_handover=lambda: None, following=None)
    assert sent == [("+33612345678", "Bye: https://a.test/s/7"), ("+33612345678", "No link")]
