"""Twilio's callbacks on the plain blueprint: ``POST {prefix}/broadcast-callbacks/twilio`` and ``.../inbound``.

Twilio posts a form per status change of each SMS (``MessageSid``, ``MessageStatus``,
``ErrorCode``...), and one per SMS a recipient sends to our number (``From``, ``To``,
``Body``), each signed with the account's auth token in ``X-Twilio-Signature``. Both views
verify the signature the same way (:func:`verified_twilio_form`), translate, and call a
service: :func:`~flask_broadcasts.engine.delivery_status.record_delivery_status`, and
:func:`~flask_broadcasts.services.sms_replies.receive_sms_reply`.
"""

from __future__ import annotations

import logging
import re

from flask import Blueprint, Response, abort, request

from .state import get_state
from .statuses import MessageStatus

logger = logging.getLogger("flask_broadcasts.sms")

__all__ = [
    "TWILIO_CALLBACK_PATH",
    "TWILIO_INBOUND_PATH",
    "register_callbacks",
    "twilio_inbound_callback",
    "twilio_status_callback",
    "verified_twilio_form",
]

TWILIO_CALLBACK_PATH = "/broadcast-callbacks/twilio"
#: Twilio's incoming-message webhook (set it as the number's or messaging service's "A message comes in" URL).
TWILIO_INBOUND_PATH = "/broadcast-callbacks/twilio/inbound"

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


def verified_twilio_form() -> dict[str, str]:
    """The form of a request Twilio signed (``X-Twilio-Signature``: HMAC-SHA1 of the URL and
    the sorted parameters with the auth token), else ``abort(401)``; ``413`` above the body cap.

    What every Twilio webhook checks first (the status callback, the inbound messages).
    """
    from twilio.request_validator import RequestValidator

    cap = get_state().settings.max_content_length
    if request.content_length is not None and request.content_length > cap:
        abort(413)
    request.max_content_length = cap
    token = _twilio_auth_token()
    signature = request.headers.get("X-Twilio-Signature", "")
    params = request.form.to_dict()
    if not token:
        logger.warning("Twilio callback refused: BROADCASTS_TWILIO_AUTH_TOKEN is not set.")
        abort(401)
    if not signature or not RequestValidator(token).validate(_signed_url(), params, signature):
        abort(401)
    return params


def twilio_status_callback() -> Response:
    """Verify, then record a final status. 401 when the signature is wrong or missing."""
    params = verified_twilio_form()
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


#: The empty TwiML answer: no reply from us (Twilio's Advanced Opt-Out, or the host, answers).
EMPTY_TWIML = '<?xml version="1.0" encoding="UTF-8"?><Response/>'


def twilio_inbound_callback() -> Response:
    """An SMS a recipient sent to one of our numbers: verify, act on a keyword, answer empty TwiML.

    ``From`` is the recipient, ``To`` our number (the host's hook maps it to an organization),
    ``Body`` the text (:func:`~flask_broadcasts.services.sms_replies.receive_sms_reply`).
    """
    from .services.sms_replies import receive_sms_reply

    params = verified_twilio_form()
    sender, body = params.get("From") or "", params.get("Body") or ""
    if sender and body:
        sid = params.get("MessageSid") or params.get("SmsSid") or ""
        receive_sms_reply(
            _plain(params.get("To")),
            sender,
            body,
            provider="twilio",
            reference=sid if _SID.fullmatch(sid) else "twilio",
        )
    return Response(EMPTY_TWIML, status=200, content_type="text/xml; charset=utf-8")


#: What a Twilio id looks like (``SM`` + 32 hex digits); anything else is not stored.
_SID = re.compile(r"[A-Za-z0-9]{1,64}")


def _plain(value: str | None) -> str | None:
    """``value`` when it is short printable ASCII (a number, a short code), else ``None``: the
    host's hook never gets control characters."""
    if value and len(value) <= 64 and value.isascii() and value.isprintable():
        return value.strip()
    return None


def register_callbacks(blueprint: Blueprint) -> None:
    """Add the provider callback routes to the plain blueprint."""
    blueprint.add_url_rule(TWILIO_CALLBACK_PATH, "twilio_status_callback", twilio_status_callback, methods=["POST"])
    blueprint.add_url_rule(TWILIO_INBOUND_PATH, "twilio_inbound_callback", twilio_inbound_callback, methods=["POST"])
