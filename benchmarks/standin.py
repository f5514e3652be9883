"""A stand-in of Twilio's Messages API in its own process, answering each request after a delay.

``python -m benchmarks.standin PORT DELAY``: a threaded HTTP/1.1 server (keep-alive, as
api.twilio.com) that takes ``POST /2010-04-01/Accounts/<sid>/Messages.json`` with
Twilio's form fields, waits ``DELAY`` seconds (a gateway across a network: 100-300 ms),
and answers ``201`` with Twilio's JSON. It prints the same running counter as the SMTP
sink (``mesg=N`` then ``\\r``), so :class:`benchmarks.sink.Sink` counts its requests.
"""

from __future__ import annotations

import json
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

ACCOUNT_SID = "AC" + "0" * 31 + "7"
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
SENDER = "+15005550006"

_count = 0
_lock = threading.Lock()


def command(port: int, delay: float) -> list[str]:
    return [sys.executable, "-m", "benchmarks.standin", str(port), str(delay)]


def settings(port: int) -> dict[str, str]:
    """The worker environment that sends through this stand-in with the extension's Twilio provider."""
    return {
        "BROADCASTS_SMS_PROVIDER": "twilio",
        "BROADCASTS_TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "BROADCASTS_TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "BROADCASTS_TWILIO_FROM": SENDER,
        "BROADCASTS_TWILIO_BASE_URL": f"http://127.0.0.1:{port}",
    }


def _handler(delay: float) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args: Any) -> None:
            pass

        def do_POST(self) -> None:  # noqa: N802
            global _count
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            time.sleep(delay)
            with _lock:
                _count += 1
                number = _count
                sys.stdout.buffer.write(b"mesg=%d\r" % number)
                sys.stdout.buffer.flush()
            sid = f"SM{number:032x}"
            body = json.dumps(
                {
                    "sid": sid,
                    "account_sid": ACCOUNT_SID,
                    "to": form.get("To"),
                    "from": form.get("From"),
                    "body": form.get("Body"),
                    "status": "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "error_code": None,
                    "error_message": None,
                    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                }
            ).encode()
            self.send_response(201)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    return Handler


def serve(port: int, delay: float) -> None:
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(delay))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    serve(int(sys.argv[1]), float(sys.argv[2]))
