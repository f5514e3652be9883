"""A development SMTP sink for ``make run``: accepts every message, delivers none.

``make run`` works on the embedded defaults, and the default mail server
(``localhost:8025``) is usually not there: without one, every e-mail of a campaign
would be retried with backoff and the campaign would never complete. So when
``MAIL_SERVER`` is not set and nothing listens on ``MAIL_PORT``, :mod:`.run_all`
starts this sink (aiosmtpd, from the ``dev`` extra) on loopback. Each accepted message
is appended to ``instance/outbox.mbox`` and announced with one line on stdout.
"""

from __future__ import annotations

import mailbox
import socket
import threading
from email import message_from_bytes
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

HOST = "127.0.0.1"


def port_in_use(port: int, host: str = HOST) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex((host, port)) == 0


class _Outbox:
    def __init__(self, path: Path) -> None:
        self.path = path
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd hook)
        message = message_from_bytes(envelope.content)
        with self.lock:
            box = mailbox.mbox(self.path)
            try:
                box.add(message)
            finally:
                box.close()
        subject = str(make_header(decode_header(message.get("Subject", ""))))
        print(f"dev-smtp: to {', '.join(envelope.rcpt_tos)}: {subject}", flush=True)
        return "250 2.0.0 accepted by the development sink"


def start(port: int, outbox: Path) -> Any:
    """Start the sink on ``127.0.0.1:port``; returns the aiosmtpd controller (``.stop()`` it)."""
    from aiosmtpd.controller import Controller

    outbox.parent.mkdir(parents=True, exist_ok=True)
    controller = Controller(_Outbox(outbox), hostname=HOST, port=port)
    controller.start()
    return controller
