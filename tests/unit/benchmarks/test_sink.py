"""The benchmark's fallback sink (aiosmtpd, when smtp-sink is not installed) counts what it accepts."""

from __future__ import annotations

import os
import smtplib
import sys

from benchmarks.procs import free_port
from benchmarks.sink import Sink


def test_without_smtp_sink_aiosmtpd_counts_pipelined_messages(monkeypatch):
    monkeypatch.setenv("PATH", os.pathsep.join([os.path.dirname(sys.executable), "/usr/bin", "/bin"]))
    sink = Sink(free_port())
    try:
        assert sink.kind.startswith("aiosmtpd")
        sink.mark()
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            client.ehlo()
            assert client.has_extn("pipelining")
            for n in range(3):
                client.sendmail("news@example.com", [f"r{n}@example.com"], b"Subject: hi\r\n\r\nbody\r\n")
        assert sink.wait_for(3, timeout=10)
        assert sink.since_mark() == 3 and sink.first_since_mark() is not None
    finally:
        sink.close()


def test_the_relay_sink_answers_each_message_after_its_delay():
    import time

    sink = Sink(free_port(), relay_delay=0.05)
    try:
        assert sink.kind.startswith("relay answering after 50 ms")
        sink.mark()
        with smtplib.SMTP("127.0.0.1", sink.port) as client:
            started = time.monotonic()
            for n in range(2):
                client.sendmail("news@example.com", [f"r{n}@example.com"], b"Subject: hi\r\n\r\nbody\r\n")
            assert time.monotonic() - started >= 0.1
        assert sink.wait_for(2, timeout=10)
    finally:
        sink.close()


def test_the_twilio_stand_in_answers_like_twilio_and_is_counted():
    import requests

    from benchmarks import standin

    port = free_port()
    gateway = Sink(port, command=standin.command(port, 0.01), kind="twilio stand-in")
    try:
        gateway.mark()
        answer = requests.post(
            f"http://127.0.0.1:{port}/2010-04-01/Accounts/{standin.ACCOUNT_SID}/Messages.json",
            data={"To": "+33600000001", "From": standin.SENDER, "Body": "Hi"},
            auth=(standin.ACCOUNT_SID, standin.AUTH_TOKEN),
            timeout=10,
        )
        assert answer.status_code == 201
        assert answer.json()["sid"].startswith("SM") and answer.json()["to"] == "+33600000001"
        assert gateway.wait_for(1, timeout=10)
    finally:
        gateway.close()
