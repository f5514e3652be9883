"""Helpers of the SMS tests: a loopback stand-in of Twilio's Messages API and seeded messages."""

from __future__ import annotations

import base64
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs

from flask import Flask

from flask_broadcasts.models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastMessage,
    BroadcastRun,
    BroadcastTemplate,
    utcnow,
)
from flask_broadcasts.statuses import CampaignStatus, ChannelStatus, MessageStatus

from .detached import campaign_row, message_row  # noqa: F401  (re-exported to the suites)

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SENDER = "+15005550006"

# Numbers the stand-in answers specially (Twilio's own magic test numbers where they exist).
INVALID_TO = "+15005550001"  # Twilio test credentials: 21211 invalid 'To'
RATE_LIMITED_TO = "+14155550429"
UNAVAILABLE_TO = "+14155550503"
SERVER_ERROR_TO = "+14155550500"
SLOW_TO = "+14155550999"
#: Twilio's 21610: the recipient texted STOP to this sender (a real, valid mobile number).
OPTED_OUT_TO = "+14155557610"


@dataclass
class TwilioStandIn:
    """A tiny threaded HTTP server answering like Twilio's Messages API, recording requests."""

    url: str
    requests: list[dict[str, Any]] = field(default_factory=list)
    #: Seconds the server waits before answering SLOW_TO.
    slow_seconds: float = 2.0
    #: Seconds it waits before answering any request (a gateway across a network).
    answer_after: float = 0.0
    #: Requests being answered now, and the most at once.
    in_flight: int = 0
    peak_in_flight: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: For this many seconds from the first request on, every request is answered 429 with
    #: ``Retry-After: retry_after`` (a gateway's rate limit); ``0``: never.
    throttle_for: float = 0.0
    retry_after: str = "2"
    throttle_started: float | None = None
    #: ``(time.monotonic(), HTTP status, To)`` of every request, in order of arrival.
    answers: list[tuple[float, int, str]] = field(default_factory=list)


def _handler(standin: TwilioStandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:  # keep test output quiet
            pass

        def _answer(self, status: int, payload: dict[str, Any], headers: dict[str, str] | None = None) -> None:
            body = json.dumps(payload).encode()
            with standin.lock:
                standin.answers.append((self.arrived, status, self.to))
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            self.arrived, self.to = time.monotonic(), ""
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            auth = self.headers.get("Authorization", "")
            user, _, password = base64.b64decode(auth.removeprefix("Basic ")).decode().partition(":")
            standin.requests.append({"path": self.path, "form": form, "user": user, "password": password})
            if user != ACCOUNT_SID or password != AUTH_TOKEN:
                return self._answer(401, {"code": 20003, "message": "Authenticate", "status": 401})
            to = self.to = form.get("To", "")
            if standin.throttle_for and standin.throttle_started is None:
                standin.throttle_started = self.arrived
            if standin.throttle_for and self.arrived < (standin.throttle_started or 0) + standin.throttle_for:
                return self._answer(
                    429,
                    {"code": 20429, "message": "Too Many Requests", "status": 429},
                    {"Retry-After": standin.retry_after},
                )
            if to == INVALID_TO:
                return self._answer(
                    400, {"code": 21211, "message": f"Invalid 'To' Phone Number: {to}", "more_info": "", "status": 400}
                )
            if to == OPTED_OUT_TO:
                return self._answer(
                    400,
                    {
                        "code": 21610,
                        "message": "Attempt to send to unsubscribed recipient",
                        "more_info": "https://www.twilio.com/docs/errors/21610",
                        "status": 400,
                    },
                )
            if to == RATE_LIMITED_TO:
                return self._answer(429, {"code": 20429, "message": "Too Many Requests", "status": 429})
            if to == UNAVAILABLE_TO:
                return self._answer(503, {"code": 20503, "message": "Service Unavailable", "status": 503})
            if to == SERVER_ERROR_TO:
                return self._answer(500, {"code": 20500, "message": "Internal Server Error", "status": 500})
            if to == SLOW_TO:
                time.sleep(standin.slow_seconds)
            if standin.answer_after:
                with standin.lock:
                    standin.in_flight += 1
                    standin.peak_in_flight = max(standin.peak_in_flight, standin.in_flight)
                time.sleep(standin.answer_after)
                with standin.lock:
                    standin.in_flight -= 1
            sid = f"SM{len(standin.requests):032x}"
            now = "Thu, 26 Nov 2026 10:00:00 +0000"
            self._answer(
                201,
                {
                    "sid": sid,
                    "account_sid": ACCOUNT_SID,
                    "to": to,
                    "from": form.get("From"),
                    "messaging_service_sid": form.get("MessagingServiceSid"),
                    "body": form.get("Body"),
                    "status": "accepted" if form.get("MessagingServiceSid") else "queued",
                    "num_segments": "1",
                    "direction": "outbound-api",
                    "api_version": "2010-04-01",
                    "date_created": now,
                    "date_updated": now,
                    "date_sent": None,
                    "error_code": None,
                    "error_message": None,
                    "price": None,
                    "uri": f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages/{sid}.json",
                },
            )

    return Handler


@dataclass
class Seeded:
    campaign_id: int
    message_ids: list[int]


def seed_messages(app: Flask, *rows: dict[str, Any], run_key: str = "once") -> Seeded:
    """A completed campaign run whose messages are ``rows`` (column values of each message)."""
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        template = BroadcastTemplate(organization_id="org-1", name="t", body_short="Hi", channels=["sms"])
        audience = BroadcastAudience(organization_id="org-1", name="a", audience_type="customers")
        session.add_all([template, audience])
        session.flush()
        sent = sum(1 for r in rows if MessageStatus(r.get("status", "completed")).is_sent)
        campaign = BroadcastCampaign(
            organization_id="org-1",
            name="c",
            template_id=template.id,
            audience_id=audience.id,
            status=CampaignStatus.COMPLETED.value,
            run_key=run_key,
            total_count=len(rows),
            sent_count=sent,
            failed_count=len(rows) - sent,
        )
        session.add(campaign)
        session.flush()
        messages = []
        for index, row in enumerate(rows):
            values = {
                "organization_id": "org-1",
                "campaign_id": campaign.id,
                "run_key": run_key,
                "recipient_type": "customer",
                "recipient_id": str(index),
                "channels": ["sms"],
                "mobile": "+14155552671",
                "body_short": "Hi",
                "status": MessageStatus.COMPLETED.value,
                "sms_status": ChannelStatus.SENT.value,
            }
            values.update(row)
            messages.append(BroadcastMessage(**values))
        session.add_all(messages)
        session.commit()
        return Seeded(campaign.id, [m.id for m in messages])


def in_progress_run(app: Flask, *rows: dict[str, Any]) -> Seeded:
    """A campaign whose run is materialized and in progress: ``rows`` are its pending messages,
    ready for ``send_batch(campaign_id, "once", ...)``."""
    from flask_broadcasts import get_state

    pending = {"status": MessageStatus.PENDING.value, "sms_status": None}
    seeded = seed_messages(app, *({**pending, **row} for row in rows))
    with app.app_context():
        session = get_state().session
        campaign = session.get(BroadcastCampaign, seeded.campaign_id)
        campaign.status, campaign.sent_count, campaign.failed_count = CampaignStatus.IN_PROGRESS.value, 0, 0
        session.add(
            BroadcastRun(organization_id="org-1", campaign_id=campaign.id, run_key="once", materialized_at=utcnow())
        )
        session.commit()
    return seeded


def running_campaign(app: Flask, *mobiles: str) -> Seeded:
    """An SMS campaign in progress, one pending message ``Hi <index>`` per number of ``mobiles``."""
    return in_progress_run(app, *({"mobile": m, "body_short": f"Hi {i}"} for i, m in enumerate(mobiles)))


def start_standin() -> tuple[TwilioStandIn, ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), BaseHTTPRequestHandler)
    standin = TwilioStandIn(url=f"http://127.0.0.1:{server.server_address[1]}")
    server.RequestHandlerClass = _handler(standin)
    server.daemon_threads = True
    # A short poll: shutdown() waits for it, and every SMS test stops a stand-in (0.5 s by default).
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    return standin, server


def sms_sent_to(app: Flask, organization_id: str, mobile: str, *, sid: str | None = None) -> int:
    """A completed SMS of ``organization_id``'s to ``mobile`` (as the host stored it): its message id."""
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        template = BroadcastTemplate(organization_id=organization_id, name="t", body_short="Hi", channels=["sms"])
        audience = BroadcastAudience(organization_id=organization_id, name="a", audience_type="customers")
        session.add_all([template, audience])
        session.flush()
        campaign = BroadcastCampaign(
            organization_id=organization_id,
            name="c",
            template_id=template.id,
            audience_id=audience.id,
            status=CampaignStatus.COMPLETED.value,
            run_key="once",
            total_count=1,
            sent_count=1,
        )
        session.add(campaign)
        session.flush()
        message = BroadcastMessage(
            organization_id=organization_id,
            campaign_id=campaign.id,
            run_key="once",
            recipient_type="customer",
            recipient_id="1",
            channels=["sms"],
            mobile=mobile,
            body_short="Hi",
            status=MessageStatus.COMPLETED.value,
            sms_status=ChannelStatus.SENT.value,
            provider_message_id=sid or f"SM{organization_id}{mobile}"[:34],
        )
        session.add(message)
        session.commit()
        return message.id


def signed_post(
    client: Any, path: str, form: dict[str, str], *, token: str = AUTH_TOKEN, base: str = "http://localhost"
) -> Any:
    """POST ``form`` to ``path`` signed as Twilio signs it (``X-Twilio-Signature``) with ``token``."""
    from twilio.request_validator import RequestValidator

    signature = RequestValidator(token).compute_signature(base + path, form)
    return client.post(path, data=form, headers={"X-Twilio-Signature": signature})
