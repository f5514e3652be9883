"""Provider callbacks on the plain blueprint: ``POST {prefix}/broadcast-callbacks/twilio``.

Twilio posts a form per status change of each SMS (``MessageSid``, ``MessageStatus``,
``ErrorCode``...), signed with the account's auth token in ``X-Twilio-Signature``.
The view verifies the signature, translates, and calls
:func:`~flask_broadcasts.engine.delivery_status.record_delivery_status`.
"""

from __future__ import annotations

import logging

from flask import Blueprint, Response, abort, request

from .state import get_state
from .statuses import MessageStatus

logger = logging.getLogger("flask_broadcasts.sms")

__all__ = ["TWILIO_CALLBACK_PATH", "register_callbacks", "twilio_status_callback"]

TWILIO_CALLBACK_PATH = "/broadcast-callbacks/twilio"

#: Twilio's ``MessageStatus`` → ours. The others (queued, sending, sent, accepted,
#: scheduled, read...) are steps before a final report: acknowledged and ignored.
TWILIO_FINAL_STATUSES = {
    "delivered": MessageStatus.DELIVERED,
    "undelivered": MessageStatus.FAILED,
    "failed": MessageStatus.FAILED,
}


def _signed_url() -> str:
    """The URL Twilio signed: the public one when the app sits behind a proxy."""
    public_url = get_state().settings.public_url
    if not public_url:
        return request.url
    query = request.query_string.decode("latin-1")
    return f"{public_url.rstrip('/')}{request.path}" + (f"?{query}" if query else "")


def _twilio_auth_token() -> str | None:
    # A host-given TwilioSmsProvider carries its own token; else the setting.
    state = get_state()
    provider = state.sms_provider
    return getattr(provider, "auth_token", None) or state.settings.twilio_auth_token


def twilio_status_callback() -> Response:
    """Verify, then record a final status. 401 when the signature is wrong or missing."""
    from twilio.request_validator import RequestValidator

    token = _twilio_auth_token()
    signature = request.headers.get("X-Twilio-Signature", "")
    params = request.form.to_dict()
    if not token:
        logger.warning("Twilio status callback refused: BROADCASTS_TWILIO_AUTH_TOKEN is not set.")
        abort(401)
    if not signature or not RequestValidator(token).validate(_signed_url(), params, signature):
        abort(401)

    status = TWILIO_FINAL_STATUSES.get(params.get("MessageStatus", "").lower())
    sid = params.get("MessageSid") or params.get("SmsSid")
    if status is not None and sid:
        from .engine.delivery_status import record_delivery_status

        error = None
        if status is MessageStatus.FAILED:
            code = params.get("ErrorCode") or "unknown"
            error = f"twilio {code}: {params.get('MessageStatus')}"
        record_delivery_status(sid, status, error=error, channel="sms")
    # 204 even when nothing moved: Twilio has nothing to retry.
    return Response(status=204)


def register_callbacks(blueprint: Blueprint) -> None:
    """Add the provider callback routes to the plain blueprint."""
    blueprint.add_url_rule(TWILIO_CALLBACK_PATH, "twilio_status_callback", twilio_status_callback, methods=["POST"])
