"""Helpers of the unsubscribe tests: the app on a real HTTP server, the links of received e-mails,
and tokens as an attacker or the passing of time would make them."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import Message
from urllib.parse import urlsplit

from flask import Flask
from itsdangerous import URLSafeTimedSerializer
from werkzeug.serving import make_server

from flask_broadcasts.engine.unsubscribe import UNSUBSCRIBE

_LINK = re.compile(r"<(https?://[^>]+)>")


@contextmanager
def http_server(app: Flask) -> Iterator[str]:
    """``app`` served by Werkzeug on a loopback port in a thread; yields its base URL."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(5)


def one_click_url(message: Message) -> str:
    """The https link of a received e-mail's ``List-Unsubscribe`` header."""
    match = _LINK.search(message["List-Unsubscribe"] or "")
    assert match, message["List-Unsubscribe"]
    return match.group(1)


def local_path(url: str) -> str:
    """The path of a public link (the public host is a name; the test server is on loopback)."""
    return urlsplit(url).path


def token_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def aged_token(secret: str, payload: object, age_seconds: float) -> str:
    """A genuine unsubscribe token as it was signed ``age_seconds`` ago."""

    class Earlier(URLSafeTimedSerializer):
        def __init__(self) -> None:
            super().__init__(secret, salt=UNSUBSCRIBE.salt)

    serializer = Earlier()
    signer = serializer.make_signer(UNSUBSCRIBE.salt)
    signer.get_timestamp = lambda: int(time.time() - age_seconds)  # type: ignore[method-assign]
    payload_bytes = serializer.dump_payload(payload)
    return signer.sign(payload_bytes).decode()
