"""A real SMTP server on loopback (aiosmtpd in a thread) that records what it accepts.

Addresses whose local part starts with ``refuse`` get a 550 5.7.1 (a policy refusal) at RCPT,
those starting with ``nosuchuser`` a 550 5.1.1 (no such mailbox: a hard bounce); those starting
with ``later`` get a 451 at DATA; those starting with ``busy`` a 421 at RCPT (the server
says it is closing). ``greylist`` scripts temporary answers: an address in it gets a 451
at RCPT while its count is above zero (each RCPT takes one off; :data:`FOREVER` never
runs out). ``rcpt_tries`` counts every RCPT per address. :meth:`stop`/:meth:`start` take it down and up on the
same port. It offers PIPELINING, as production servers do; ``pipelining=False`` makes it
a server that does not, so the client's step-by-step exchange is tested too. ``delay``
seconds pass before each message's answer (a server that takes a few ms per message);
each message keeps the time its final ``.`` arrived (``at``, ``time.monotonic()``).
It also counts client connections (those that say EHLO; aiosmtpd's own start-up probe
does not): ``connections`` (opened), ``open_connections`` (not closed yet), ``quits`` (ended with QUIT) and ``peak_in_flight`` (most messages waiting for their
answer at once, across connections), ``most_per_connection`` (the most messages one
connection carried).
"""

from __future__ import annotations

import asyncio
import email
import socket
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP

#: A ``greylist`` count that never runs out.
FOREVER = 10**9


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    data: bytes
    at: float = 0.0

    @property
    def message(self) -> email.message.Message:
        return email.message_from_bytes(self.data)


class _Handler:
    def __init__(self, server: SmtpServer) -> None:
        self.server = server

    async def handle_EHLO(self, server, session, envelope, hostname, responses):  # noqa: N802
        session.host_name = hostname
        if not getattr(session, "counted", False):  # a client's connection (not the controller's probe)
            session.counted = True
            with self.server.lock:
                self.server.connections += 1
                self.server.open_connections += 1
        if self.server.pipelining:
            responses.insert(-1, "250-PIPELINING")
        return responses

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        with self.server.lock:
            self.server.rcpt_tries[address] += 1
            greylisted = self.server.greylist.get(address, 0) > 0
            if greylisted:
                self.server.greylist[address] -= 1
        if greylisted:
            return "451 4.7.1 greylisted, try again later"
        if address.startswith("busy"):
            return "421 4.3.2 too busy, closing"
        if address.startswith("refuse"):
            return "550 5.7.1 delivery not authorized"
        if address.startswith("nosuchuser"):
            return "550 5.1.1 no such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_QUIT(self, server, session, envelope):  # noqa: N802
        with self.server.lock:
            self.server.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if any(a.startswith("later") for a in envelope.rcpt_tos):
            return "451 4.3.0 try again later"
        arrived = time.monotonic()  # its final "." is in
        with self.server.lock:
            self.server.in_flight += 1
            self.server.peak_in_flight = max(self.server.peak_in_flight, self.server.in_flight)
            self.server.open_at_arrival.append(self.server.open_connections)
        try:
            if self.server.delay:
                await asyncio.sleep(self.server.delay)
        finally:
            with self.server.lock:
                self.server.in_flight -= 1
        with self.server.lock:
            received = Received(envelope.mail_from, list(envelope.rcpt_tos), envelope.content, arrived)
            self.server.received.append(received)
            session.messages = getattr(session, "messages", 0) + 1
            self.server.most_per_connection = max(self.server.most_per_connection, session.messages)
        return "250 2.0.0 queued"


class _CountingSmtp(SMTP):
    """aiosmtpd's protocol, counting the client connections that end (those that said EHLO)."""

    def __init__(self, handler: _Handler, **kwargs) -> None:
        super().__init__(handler, **kwargs)
        self.server_counts = handler.server

    def connection_lost(self, error) -> None:
        if getattr(self.session, "counted", False):
            with self.server_counts.lock:
                self.server_counts.open_connections -= 1
        super().connection_lost(error)


class _CountingController(Controller):
    def factory(self):
        return _CountingSmtp(self.handler, **self.SMTP_kwargs)


@dataclass
class SmtpServer:
    port: int = field(default_factory=free_port)
    pipelining: bool = True
    delay: float = 0.0
    received: list[Received] = field(default_factory=list)
    greylist: dict[str, int] = field(default_factory=dict)
    rcpt_tries: Counter = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)
    connections: int = 0
    open_connections: int = 0
    quits: int = 0
    in_flight: int = 0
    peak_in_flight: int = 0
    most_per_connection: int = 0
    #: The connections open when each message's final "." arrived, in order.
    open_at_arrival: list[int] = field(default_factory=list)
    _controller: Controller | None = None

    def start(self) -> SmtpServer:
        self._controller = _CountingController(_Handler(self), hostname="127.0.0.1", port=self.port)
        self._controller.start()
        return self

    def stop(self) -> None:
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def count(self) -> int:
        with self.lock:
            return len(self.received)

    def count_since(self, moment: float) -> int:
        """Messages whose final ``.`` arrived after ``moment`` (``time.monotonic()``)."""
        with self.lock:
            return sum(1 for m in self.received if m.at > moment)

    def recipients(self) -> list[str]:
        with self.lock:
            return [r for m in self.received for r in m.rcpt_tos]
