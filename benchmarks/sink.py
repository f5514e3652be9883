"""A local SMTP sink in its own process that accepts and counts messages.

Debian's ``smtp-sink`` (package postfix, written in C) is used when it is on ``PATH``:
it costs the least CPU, so the sink is never what a figure measures. Otherwise
``python -m benchmarks.sink PORT`` runs aiosmtpd with a handler that only counts. It
spends about 230 µs of CPU per message where ``smtp-sink`` spends 22–50, which on two
cores makes the sink what the limit line measures: the report says so, and such a run
is for a quick look, not for quoting.

Both print the same running counter on stdout — ``... mesg=N`` followed by ``\\r``
after every accepted message (``smtp-sink -c``'s format) — which :class:`Sink`
reads in a thread to know how many messages arrived and when the first one did.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
import subprocess
import sys
import threading
import time
from typing import Any

_MESG = re.compile(rb"mesg=(\d+)")

# Seconds the reader waits after each read. The pipe holds 64 KB, about 2,000 counter
# updates, so the sink never blocks on it.
READ_PAUSE = 0.005

#: The sink a run's figures can be quoted with.
SMTP_SINK = "smtp-sink (postfix)"


class Sink:
    """A sink process on ``127.0.0.1:port`` and the counters read from its output.

    ``relay_delay``: a relay across a network instead (aiosmtpd, which waits that many
    seconds before it answers each message). ``command``: another counting server (the
    Twilio stand-in), with the name ``kind``.
    """

    def __init__(
        self, port: int, *, relay_delay: float | None = None, command: list[str] | None = None, kind: str = ""
    ) -> None:
        self.port = port
        self.relay_delay = relay_delay
        if command is not None:
            self.kind = kind
        elif relay_delay is not None:
            self.kind = f"relay answering after {relay_delay * 1000:.0f} ms (aiosmtpd, benchmarks/sink.py)"
            command = [sys.executable, "-m", "benchmarks.sink", str(port), str(relay_delay)]
        elif shutil.which("smtp-sink"):
            self.kind = SMTP_SINK
            user = ["-u", "nobody"] if os.geteuid() == 0 else []
            command = ["smtp-sink", "-c", *user, f"127.0.0.1:{port}", "1000"]
        else:
            self.kind = "aiosmtpd (benchmarks/sink.py)"
            command = [sys.executable, "-m", "benchmarks.sink", str(port)]
        self.process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, bufsize=0)
        self.count = 0
        self._mark_count = 0
        self._first_after_mark: float | None = None
        self._lock = threading.Lock()
        self._reader = threading.Thread(target=self._read, name="sink-reader", daemon=True)
        self._reader.start()
        _wait_port(port)

    def _read(self) -> None:
        fd = self.process.stdout.fileno()  # type: ignore[union-attr]
        tail = b""
        while True:
            chunk = os.read(fd, 65536)
            if not chunk:
                return
            now = time.monotonic()
            # Let the counters pile up: woken for every message, this thread cost the
            # benchmark a few per cent of a core, taken from the campaign it measures.
            # The first message's time is then known to within READ_PAUSE.
            time.sleep(READ_PAUSE)
            found = _MESG.findall(tail + chunk)
            tail = chunk[-32:]
            if found:
                count = int(found[-1])
                with self._lock:
                    if count > self.count:
                        self.count = count
                        if self._first_after_mark is None and count > self._mark_count:
                            self._first_after_mark = now

    def mark(self) -> int:
        """Start counting anew: :meth:`first_since_mark` and :meth:`since_mark` refer to this point."""
        with self._lock:
            self._mark_count = self.count
            self._first_after_mark = None
            return self.count

    def since_mark(self) -> int:
        with self._lock:
            return self.count - self._mark_count

    def first_since_mark(self) -> float | None:
        """``time.monotonic()`` (system-wide on Linux) when the first message after :meth:`mark` arrived."""
        with self._lock:
            return self._first_after_mark

    def wait_for(self, total_since_mark: int, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while self.since_mark() < total_since_mark:
            if time.monotonic() > deadline:
                return False
            time.sleep(0.01)
        return True

    def close(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()


def _wait_port(port: int, timeout: float = 10.0) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"SMTP sink did not listen on {port}") from None
            time.sleep(0.05)


# -- the aiosmtpd fallback ------------------------------------------------------------------


class _CountingHandler:
    """Accepts every message (offering PIPELINING, as production servers do) and prints the counter.

    ``delay``: seconds it waits before answering each message, as a provider's relay across
    a network does (SES, SendGrid, Postmark: 10-100 ms); each connection waits on its own.
    """

    def __init__(self, delay: float = 0.0) -> None:
        self.count = 0
        self.delay = delay

    async def handle_EHLO(
        self,
        server: Any,
        session: Any,
        envelope: Any,
        hostname: str,  # noqa: N802
        responses: list[str],
    ) -> list[str]:
        session.host_name = hostname
        responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        if self.delay:
            await asyncio.sleep(self.delay)
        self.count += 1
        sys.stdout.buffer.write(b"mesg=%d\r" % self.count)
        sys.stdout.buffer.flush()
        return "250 2.0.0 Ok: queued"


def _serve(port: int, delay: float = 0.0) -> None:
    from aiosmtpd.controller import Controller

    controller = Controller(_CountingHandler(delay), hostname="127.0.0.1", port=port)
    controller.start()
    try:
        threading.Event().wait()
    finally:
        controller.stop()


if __name__ == "__main__":
    _serve(int(sys.argv[1]), float(sys.argv[2]) if len(sys.argv) > 2 else 0.0)
