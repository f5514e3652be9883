"""The SMTP client against a real server, with and without PIPELINING."""

from __future__ import annotations

import pytest

from flask_broadcasts.channels.smtp import (
    MailSettings,
    RecipientDeferred,
    RecipientRefused,
    SmtpTransport,
    TemporaryFailure,
)
from tests.support.smtp import SmtpServer


@pytest.fixture(params=[True, False], ids=["pipelining", "step-by-step"])
def server(request):
    server = SmtpServer(pipelining=request.param).start()
    yield server
    server.stop()


def test_accepted_refused_and_deferred_messages_on_one_connection(server):
    settings = MailSettings(server="127.0.0.1", port=server.port)
    outcomes = {}
    with SmtpTransport(settings, timeout=5) as transport:
        for rcpt in ["ann@example.org", "refuse-bob@example.org", "later-cy@example.org", "dee@example.org"]:
            data = f"Subject: hi\r\nTo: {rcpt}\r\n\r\n.leading dot\r\nbody\r\n".encode()
            try:
                outcomes[rcpt] = transport.send("news@example.org", rcpt, data)
            except RecipientRefused as exc:
                outcomes[rcpt] = ("refused", exc.code)
            except RecipientDeferred as exc:
                outcomes[rcpt] = ("later", exc.code)
        uses_pipelining = transport._smtp.has_extn("pipelining")

    assert uses_pipelining is server.pipelining
    assert outcomes["ann@example.org"].startswith("250")
    assert outcomes["refuse-bob@example.org"] == ("refused", 550)
    assert outcomes["later-cy@example.org"] == ("later", 451)
    assert outcomes["dee@example.org"].startswith("250")
    # The refusal and the deferral left the connection usable, and nothing but the
    # two accepted messages arrived, each once, with its dot-stuffed line intact.
    assert server.recipients() == ["ann@example.org", "dee@example.org"]
    assert [m.message.get_payload().splitlines() for m in server.received] == [[".leading dot", "body"]] * 2


def test_a_refused_sender_is_a_temporary_failure_not_the_recipients_fault(server):
    settings = MailSettings(server="127.0.0.1", port=server.port)
    with SmtpTransport(settings, timeout=5) as transport:
        with pytest.raises(TemporaryFailure):
            # An address with a space is refused at MAIL by the server (501 syntax).
            transport.send("not an address@", "ann@example.org", b"Subject: x\r\n\r\nx\r\n")
        assert transport.send("news@example.org", "ann@example.org", b"Subject: y\r\n\r\ny\r\n").startswith("250")
    assert server.recipients() == ["ann@example.org"]


def _mail(rcpt: str) -> bytes:
    return f"Subject: hi\r\nTo: {rcpt}\r\n\r\n.leading dot\r\nbody {rcpt}\r\n".encode()


def test_the_next_envelope_goes_out_with_the_previous_message_and_nothing_arrives_twice(server):
    """``then``: each message's end and the next envelope share one write; refusals stay per message."""
    settings = MailSettings(server="127.0.0.1", port=server.port)
    recipients = [
        "ann@example.org",
        "refuse-bob@example.org",
        "cy@example.org",
        "later-dee@example.org",
        "eve@example.org",
        "fay@example.org",
    ]
    outcomes = {}
    writes = []
    with SmtpTransport(settings, timeout=5) as transport:
        for index, rcpt in enumerate(recipients):
            following = recipients[index + 1] if index + 1 < len(recipients) else None
            then = ("news@example.org", following) if following else None
            if transport._smtp is not None and not writes:
                original = transport._smtp.send
                transport._smtp.send = lambda data, original=original: (writes.append(data), original(data))[1]
            try:
                outcomes[rcpt] = transport.send("news@example.org", rcpt, _mail(rcpt), then=then)
            except RecipientRefused as exc:
                outcomes[rcpt] = ("refused", exc.code)
            except RecipientDeferred as exc:
                outcomes[rcpt] = ("later", exc.code)

    assert outcomes["refuse-bob@example.org"] == ("refused", 550)
    assert outcomes["later-dee@example.org"] == ("later", 451)
    accepted = ["ann@example.org", "cy@example.org", "eve@example.org", "fay@example.org"]
    assert all(outcomes[rcpt].startswith("250") for rcpt in accepted)
    assert server.recipients() == accepted
    assert [m.message.get_payload().splitlines() for m in server.received] == [
        [".leading dot", f"body {rcpt}"] for rcpt in accepted
    ]
    if server.pipelining:
        # From the second message on, a message's text and the next envelope are one write
        # (BODY=8BITMIME: the server offers it, so UTF-8 text may go unencoded).
        ahead = b".\r\nMAIL FROM:<news@example.org> BODY=8BITMIME\r\nRCPT TO:<fay@example.org>\r\nDATA\r\n"
        assert any(isinstance(w, bytes) and w.endswith(ahead) for w in writes)
    else:
        assert not any(isinstance(w, bytes) and b".\r\nMAIL FROM" in w for w in writes)


def test_an_envelope_sent_ahead_and_never_used_delivers_nothing(server):
    settings = MailSettings(server="127.0.0.1", port=server.port)
    with SmtpTransport(settings, timeout=5) as transport:
        transport.send(
            "news@example.org",
            "ann@example.org",
            _mail("ann@example.org"),
            then=("news@example.org", "bob@example.org"),
        )
        # The batch stops here (a stop request, a lost claim): bob's message never comes.
    with SmtpTransport(settings, timeout=5) as transport:
        transport.send(
            "news@example.org", "cy@example.org", _mail("cy@example.org"), then=("news@example.org", "dee@example.org")
        )
        # The caller sends another message than announced: that one goes, to its recipient.
        transport.send("news@example.org", "eve@example.org", _mail("eve@example.org"))

    assert server.recipients() == ["ann@example.org", "cy@example.org", "eve@example.org"]
    assert [m.message["To"] for m in server.received] == ["ann@example.org", "cy@example.org", "eve@example.org"]
