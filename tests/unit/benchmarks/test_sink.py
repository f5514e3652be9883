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
