"""flask_broadcasts.channels.mail: the mail channel against a real SMTP server on loopback.

What a user relies on: each e-mail of a batch reaches the server on one connection, under its
envelope sender (the VERP address when there is one), with its unsubscribe link filled in where
the template placed it (escaped in HTML) and in ``List-Unsubscribe``; a bad address is a
``bounced`` refusal, a policy refusal a ``refused`` one, a 4xx at DATA a deferral, and none of
them stops the batch; with ``MAIL_SUPPRESS_SEND`` nothing goes out and the batch still records."""

from __future__ import annotations

from types import SimpleNamespace

from flask_broadcasts.channels.base import Deferred, Refused, Sent
from flask_broadcasts.channels.mail import MailChannel, UnsubscribeLinks
from flask_broadcasts.channels.mime import MimeBuilder
from flask_broadcasts.channels.smtp import MailSettings


def _message(number: int, email: str, **values: object) -> SimpleNamespace:
    defaults = {
        "id": number,
        "email": email,
        "subject": "News",
        "body": "<p>Hello</p>",
        "action_label": None,
        "action_url": None,
        "recipient_type": "customers",
        "recipient_id": str(number),
        "channels": ["mail"],
        "mail_status": None,
    }
    return SimpleNamespace(**{**defaults, **values})


def _channel(port: int, **options: object) -> MailChannel:
    builder = MimeBuilder(("Acme", "news@acme.test"), campaign_id=1, run_key="once")
    return MailChannel(builder, MailSettings(server="127.0.0.1", port=port), timeout=5, **options)  # type: ignore[arg-type]


def _deliver_all(channel: MailChannel, messages: list[SimpleNamespace]) -> tuple[list[object], list[int]]:
    """Each message handed over as the engine does it: the next one given as ``following``."""
    outcomes, recorded = [], []
    try:
        for index, message in enumerate(messages):
            following = messages[index + 1] if index + 1 < len(messages) else None
            outcomes.append(
                channel.deliver(message, before_handover=lambda m=message: recorded.append(m.id), following=following)
            )
    finally:
        channel.close()
    return outcomes, recorded


def test_a_batch_on_one_connection_each_outcome_in_the_channels_words(smtp) -> None:
    messages = [
        _message(1, "ann@example.org"),
        _message(2, "nosuchuser-bob@example.org"),
        _message(3, "refuse-cy@example.org"),
        _message(4, "later-dee@example.org"),
        _message(5, "not an address"),
        _message(6, "eve@example.org"),
    ]
    outcomes, _ = _deliver_all(_channel(smtp.port), messages)

    sent, bounced, refused, deferred, invalid, last = outcomes
    assert isinstance(sent, Sent) and sent.answer.startswith("250")
    assert (sent.sender, sent.recipient) == ("news@acme.test", "ann@example.org")
    assert sent.message_id.startswith("<broadcast.1.once.") and sent.message_id.endswith("@acme.test>")
    assert bounced == Refused("bounced", bounced.detail) and "5.1.1" in bounced.detail  # no such mailbox: hard
    assert refused == Refused("refused", refused.detail) and "5.7.1" in refused.detail  # policy: not the address
    assert isinstance(deferred, Deferred) and "451" in deferred.detail
    assert invalid == Refused("refused", invalid.detail) and "invalid address" in invalid.detail
    assert isinstance(last, Sent)
    assert smtp.recipients() == ["ann@example.org", "eve@example.org"]
    assert smtp.connections == 1  # the refusals and the deferral left the connection in use
    assert smtp.received[0].message["Message-ID"] == sent.message_id


def test_the_unsubscribe_link_and_the_verp_sender_go_out_with_each_email(smtp) -> None:
    links = UnsubscribeLinks(lambda m: f"https://app.test/u/{m.id}?a=1&b=2", footer_for=lambda m: "Unsubscribe")
    channel = _channel(smtp.port, unsubscribe=links, envelope_for=lambda m: f"bounces+{m.id}@acme.test")
    placed = _message(
        1, "ann@example.org", subject="Leave: {unsubscribe_url}", body='<a href="{unsubscribe_url}">x</a>'
    )
    footer = _message(2, "bob@example.org")
    outcomes, recorded = _deliver_all(channel, [placed, footer])

    assert recorded == [1, 2]
    assert [o.sender for o in outcomes] == ["bounces+1@acme.test", "bounces+2@acme.test"]
    assert [m.mail_from for m in smtp.received] == ["bounces+1@acme.test", "bounces+2@acme.test"]
    first, second = (m.message for m in smtp.received)
    assert first["Subject"] == "Leave: https://app.test/u/1?a=1&b=2"
    assert first["List-Unsubscribe"] == "<https://app.test/u/1?a=1&b=2>"
    html = next(p for p in first.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert b'href="https://app.test/u/1?a=1&amp;b=2"' in html  # escaped once, as an attribute
    assert b"Unsubscribe</a>" not in html  # the template placed the link: no footer as well
    second_html = next(p for p in second.walk() if p.get_content_type() == "text/html").get_payload(decode=True)
    assert b"https://app.test/u/2?a=1&amp;b=2" in second_html and b"Unsubscribe</a>" in second_html


def test_with_mail_suppress_send_nothing_goes_out_and_the_batch_still_records(smtp) -> None:
    builder = MimeBuilder("news@acme.test", campaign_id=1, run_key="once")
    settings = MailSettings(server="127.0.0.1", port=smtp.port, suppress=True)
    channel = MailChannel(builder, settings, timeout=5)
    outcomes, recorded = _deliver_all(channel, [_message(1, "ann@example.org"), _message(2, "bob@example.org")])

    assert recorded == [1, 2]  # before_handover still runs: the previous message is recorded
    assert [o.answer for o in outcomes] == ["250 suppressed (MAIL_SUPPRESS_SEND)"] * 2
    assert all(isinstance(o, Sent) and o.message_id for o in outcomes)
    assert (smtp.connections, smtp.received) == (0, [])
