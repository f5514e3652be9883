"""Threads or asyncio for many SMTP connections per worker: the two shapes, measured side by side.

``python -m benchmarks.shapes [N]``: the same messages (built by the extension's
:class:`~flask_broadcasts.channels.mime.MimeBuilder`) to the relay sink answering after
0 ms (loopback: CPU is the limit) and 10 ms (a network: waiting is), over 8 and 16
connections, either

* **threads** — one thread per connection, each with the extension's own
  :class:`~flask_broadcasts.channels.smtp.SmtpTransport` (smtplib, pipelined), or
* **asyncio** — one event loop, one task per connection, the same pipelined exchange
  (MAIL, RCPT, DATA in one write; the message and its final ``.``) over asyncio streams.

It prints msg/s and the sender's CPU per message. No database in either: the record is
the same blocking psycopg call whichever shape sends.
"""

from __future__ import annotations

import asyncio
import sys
import threading
import time
from typing import Any

from flask_broadcasts.channels.mime import MimeBuilder
from flask_broadcasts.channels.smtp import MailSettings, SmtpTransport

from .procs import free_port
from .sink import Sink


def _build(builder: MimeBuilder, n: int) -> Any:
    return builder.build(
        to=f"customer{n}@example.com",
        subject=f"Hello {n}",
        body="<p>Hi, here's your monthly update...</p><p>Regards, the team</p>",
        action_label="View",
        action_url="https://example.com/updates",
        recipient_type="customer",
        recipient_id=str(n),
    )


def threads_shape(port: int, connections: int, count: int) -> tuple[float, float]:
    """Seconds and CPU seconds to build and send ``count`` messages over ``connections`` threads."""
    items = iter(range(count))
    lock = threading.Lock()
    builder = MimeBuilder("broadcasts@example.com", campaign_id=1, run_key="once", message_id_domain="example.com")

    def lane() -> None:
        with SmtpTransport(MailSettings(port=port), timeout=30) as transport:
            while True:
                with lock:
                    n = next(items, None)
                if n is None:
                    return
                email = _build(builder, n)
                transport.send(email.envelope_from, email.recipient, email.data)

    cpu, started = time.process_time(), time.monotonic()
    threads = [threading.Thread(target=lane) for _ in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.monotonic() - started, time.process_time() - cpu


async def _reply(reader: asyncio.StreamReader) -> int:
    while True:
        line = await reader.readline()
        if not line:
            raise ConnectionError("closed")
        if line[3:4] != b"-":
            return int(line[:3])


async def _async_lane(port: int, items: Any, builder: MimeBuilder) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    await _reply(reader)
    writer.write(b"EHLO bench\r\n")
    await _reply(reader)
    for n in items:
        email = _build(builder, n)
        writer.write(f"MAIL FROM:<{email.envelope_from}>\r\nRCPT TO:<{email.recipient}>\r\nDATA\r\n".encode())
        for expected in (250, 250, 354):
            if await _reply(reader) != expected:
                raise RuntimeError("refused")
        writer.write(email.data + (b"" if email.data.endswith(b"\r\n") else b"\r\n") + b".\r\n")
        if await _reply(reader) != 250:
            raise RuntimeError("refused")
    writer.write(b"QUIT\r\n")
    await writer.drain()
    writer.close()


def asyncio_shape(port: int, connections: int, count: int) -> tuple[float, float]:
    """Seconds and CPU seconds for the same work as :func:`threads_shape`, one task per connection."""
    builder = MimeBuilder("broadcasts@example.com", campaign_id=1, run_key="once", message_id_domain="example.com")
    items = iter(range(count))

    async def main() -> None:
        await asyncio.gather(*(_async_lane(port, items, builder) for _ in range(connections)))

    cpu, started = time.process_time(), time.monotonic()
    asyncio.run(main())
    return time.monotonic() - started, time.process_time() - cpu


def main() -> None:
    count = int(sys.argv[1]) if len(sys.argv) > 1 else 2000
    print(f"{'delay':>6} {'conns':>5} {'shape':<8} {'msg/s':>8} {'CPU µs/msg':>10}")
    for delay in (0.0, 0.010):
        sink = Sink(free_port(), relay_delay=delay)
        try:
            for connections in (8, 16):
                for name, shape in (("threads", threads_shape), ("asyncio", asyncio_shape)):
                    sink.mark()
                    elapsed, cpu = shape(sink.port, connections, count)
                    sink.wait_for(count, 10)
                    print(
                        f"{delay * 1000:>4.0f}ms {connections:>5} {name:<8} {count / elapsed:>8.0f} "
                        f"{cpu / count * 1e6:>10.0f}",
                        flush=True,
                    )
        finally:
            sink.close()


if __name__ == "__main__":
    main()
