"""The SMTP client against a real server, with and without PIPELINING."""

from __future__ import annotations

import pytest

from flask_broadcasts.delivery.mail import MailSettings, RecipientRefused, SmtpTransport, TemporaryFailure
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
            except TemporaryFailure as exc:
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
