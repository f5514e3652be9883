"""The channels page's samples as running code: Twilio's settings, a custom SMS provider
and a delivery webhook of another provider. ``tests/docs/test_examples.py`` loads the
settings into an app that sends through a Twilio stand-in, and sends campaigns through
``create_app``'s provider and webhook.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass, field
from typing import Any

from flask import Flask, Request, abort, current_app, request
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts

# [twilio-settings]
BROADCASTS_SMS_PROVIDER = "twilio"
BROADCASTS_TWILIO_ACCOUNT_SID = "AC..."
BROADCASTS_TWILIO_AUTH_TOKEN = "..."  # also verifies status callbacks
BROADCASTS_TWILIO_FROM = "+15005550006"  # a number of the account ...
# BROADCASTS_TWILIO_MESSAGING_SERVICE_SID = "MG..." # ... or a messaging service (wins over FROM)
BROADCASTS_PUBLIC_URL = "https://app.example.com"  # so Twilio can report delivery
# BROADCASTS_SMS_TIMEOUT = 10                       # seconds before an answer counts as lost
# BROADCASTS_TWILIO_BASE_URL = "http://127.0.0.1:8099"  # a stand-in or proxy instead of api.twilio.com
# [/twilio-settings]


# -- `my_gateway`: what the provider below talks to ------------------------------------------
# In a real app, your gateway's client library. Here an in-memory stand-in, so that the
# tests can see what was sent and make a number fail the way a gateway would.


class GatewayError(Exception):
    def __init__(self, message: str, code: int = 0) -> None:
        super().__init__(message)
        self.code = code


class InvalidRecipient(GatewayError):
    """The gateway will never deliver to this number."""


class Throttled(GatewayError):
    """The gateway refused the request for now; nothing was accepted."""


class Timeout(GatewayError):
    """No answer came back: the gateway may or may not have taken the SMS."""


@dataclass
class GatewayAnswer:
    id: str
    status: str
    json: dict[str, Any]


@dataclass
class InMemoryGateway:
    InvalidRecipient = InvalidRecipient
    Throttled = Throttled
    Timeout = Timeout

    #: ``(to, body)`` of every SMS accepted, in order.
    sent: list[tuple[str, str]] = field(default_factory=list)
    #: number → the error the gateway answers for it.
    failures: dict[str, GatewayError] = field(default_factory=dict)

    def send(self, to: str, body: str) -> GatewayAnswer:
        if to in self.failures:
            raise self.failures[to]
        self.sent.append((to, body))
        answer_id = f"mg-{len(self.sent)}"
        return GatewayAnswer(id=answer_id, status="accepted", json={"id": answer_id, "to": to})


my_gateway = InMemoryGateway()


# [provider]
from flask_broadcasts.channels.sms import SmsOutcomeUnknown, SmsPermanentError, SmsResult, SmsTransientError


class MyGatewayProvider:
    name = "my-gateway"
    callback_endpoint = None  # or a path of ours on the plain blueprint

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SmsResult:
        # `to` is already E.164. Build network clients lazily (RQ forks workers).
        try:
            answer = my_gateway.send(to, body)
        except my_gateway.InvalidRecipient as exc:
            raise SmsPermanentError(f"my-gateway {exc.code}: {exc}") from exc  # this message fails
        except my_gateway.Throttled as exc:
            raise SmsTransientError(f"my-gateway: {exc}") from exc  # retry the batch later
        except my_gateway.Timeout as exc:
            raise SmsOutcomeUnknown(f"outcome_unknown: {exc}") from exc  # maybe sent: never resend
        return SmsResult(provider_message_id=answer.id, status=answer.status, raw=answer.json)


# [/provider]


def verified_event(request: Request) -> dict[str, Any]:
    """The event a webhook request carries, or a 401 when its signature is wrong.

    Each provider signs its own way; this one sends an HMAC-SHA256 of the body, keyed with a
    secret shared with it (``MAIL_WEBHOOK_SECRET``), in ``X-Signature``.
    """
    secret = current_app.config["MAIL_WEBHOOK_SECRET"].encode()
    expected = hmac.new(secret, request.get_data(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, request.headers.get("X-Signature", "")):
        abort(401)
    return json.loads(request.get_data())


def create_app(config: dict[str, Any]) -> Flask:
    """A host app whose SMS go through ``MyGatewayProvider`` and whose mail provider reports
    deliveries and bounces to ``/hooks/mail-provider``."""
    app = Flask(__name__)
    app.config.update(config)
    db = SQLAlchemy(app)

    # [use-provider]
    broadcasts = Broadcasts(app, db=db)
    broadcasts.use_sms_provider(MyGatewayProvider())  # or: broadcasts.sms_provider = ...
    # per app instead: get_state(app).sms_provider = MyGatewayProvider()
    # [/use-provider]

    # [mail-webhook]
    from flask_broadcasts.engine.delivery_status import record_delivery_status

    @app.post("/hooks/mail-provider")
    def mail_events():
        event = verified_event(request)  # your provider's signature check
        if event["type"] == "bounce":
            record_delivery_status(event["message_id"], "failed", error=f"bounce: {event['reason']}", channel="mail")
        elif event["type"] == "delivered":
            record_delivery_status(event["message_id"], "delivered", channel="mail")
        return "", 204

    # [/mail-webhook]

    return app
