"""``make run``'s development SMTP sink: accepts what the app sends, keeps it in an mbox."""

from __future__ import annotations

import mailbox
import smtplib
from email.message import EmailMessage
from pathlib import Path

from example_app import dev_smtp
from tests.support.smtp import free_port


def test_the_sink_keeps_every_message_in_the_outbox(tmp_path: Path) -> None:
    port = free_port()
    assert not dev_smtp.port_in_use(port)
    outbox = tmp_path / "instance" / "outbox.mbox"
    sink = dev_smtp.start(port, outbox)
    try:
        assert dev_smtp.port_in_use(port)  # run_all leaves a port someone listens on alone
        message = EmailMessage()
        message["From"], message["To"], message["Subject"] = "news@example.com", "ada@example.com", "Bonjour Chloé"
        message.set_content("Hi")
        with smtplib.SMTP(dev_smtp.HOST, port, timeout=5) as client:
            client.send_message(message)
    finally:
        sink.stop()
    [kept] = mailbox.mbox(outbox)
    assert kept["To"] == "ada@example.com"
