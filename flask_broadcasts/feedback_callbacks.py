"""Provider feedback webhooks on the plain blueprint: ``POST {prefix}/broadcast-callbacks/<provider>``.

One route per provider (``ses``, ``sendgrid``, ``postmark``, ``mailgun``), outside the
OpenAPI document like the Twilio callback. Each view only translates: cap the body, let
the provider's module (:mod:`flask_broadcasts.feedback`) verify and parse it, hand the
reports to :func:`~flask_broadcasts.feedback.service.apply_event`, answer.

- No key configured, or a bad signature / credentials: ``401``, nothing changes.
- A body over the cap: ``413`` (SES: 256 KB, SNS's own limit; the others
  ``BROADCASTS_MAX_CONTENT_LENGTH``).
- Otherwise ``204``, whatever the reports came to (an unknown message, a repeated report,
  an event we do not act on): providers retry on errors, and the answer tells nothing
  about which messages exist.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .feedback import mailgun, postmark, sendgrid, ses
from .feedback.events import FeedbackEvent, InvalidSignature, NotConfigured
from .feedback.service import apply_event
from .outbound.ssrf import RefusedURL, check_url, parse_networks
from .outbound.ssrf import request as outbound_request
from .state import get_state

logger = logging.getLogger("flask_broadcasts.feedback")

__all__ = ["FEEDBACK_CALLBACK_PATH", "register_feedback_callbacks"]

FEEDBACK_CALLBACK_PATH = "/broadcast-callbacks/{provider}"


def _body(cap: int) -> bytes:
    """The raw body, at most ``cap`` bytes (413 above, declared or streamed)."""
    if request.content_length is not None and request.content_length > cap:
        raise RequestEntityTooLarge()
    request.max_content_length = cap
    return request.get_data(cache=True)


def _answer(status: int) -> Response:
    return Response(status=status)


def _apply(events: Iterable[FeedbackEvent]) -> Response:
    for event in events:
        apply_event(event)
    return _answer(204)


def sns_fetch(url: str) -> bytes:
    """GET ``url`` through the SSRF guard (https only, no private targets, no redirects)."""
    settings = get_state().settings
    checked = check_url(url, allowed_networks=parse_networks(settings.webhook_allowed_networks))
    answer = outbound_request(checked, method="GET", timeout=settings.webhook_timeout)
    if answer.status != 200:
        raise RefusedURL(f"{url} answered {answer.status}")
    return answer.body


def ses_callback() -> Response:
    """Amazon SES through SNS: notifications, and the topic's subscription confirmation."""
    state = get_state()
    fetch = state.sns_fetch or sns_fetch
    message = ses.parse(_body(ses.MAX_BODY))
    topics = state.settings.ses_topic_arns
    topics = [topics] if isinstance(topics, str) else list(topics)
    ses.verify(message, topics=topics, fetch=fetch)
    if message["Type"] == "SubscriptionConfirmation":
        try:
            ses.confirm(message, fetch=fetch)
        except Exception as exc:  # refused by the guard, unreachable: SNS may send it again
            logger.warning("SNS subscription to %s not confirmed: %s", message.get("TopicArn"), exc)
            return _answer(400)
        logger.info("SNS subscription to %s confirmed.", message.get("TopicArn"))
        return _answer(204)
    if message["Type"] != "Notification":
        return _answer(204)
    return _apply(ses.events_of(message))


def sendgrid_callback() -> Response:
    """SendGrid's signed Event Webhook (a batch of events)."""
    body = _body(get_state().settings.max_content_length)
    sendgrid.verify(body, request.headers, get_state().settings.sendgrid_public_key)
    return _apply(sendgrid.events_of(body))


def postmark_callback() -> Response:
    """Postmark's Delivery, Bounce and SpamComplaint webhooks (basic auth)."""
    settings = get_state().settings
    postmark.verify(
        request.headers.get("Authorization"), settings.postmark_webhook_username, settings.postmark_webhook_password
    )
    return _apply(postmark.events_of(_body(settings.max_content_length)))


def mailgun_callback() -> Response:
    """Mailgun's signed webhooks (one event per request)."""
    settings = get_state().settings
    document = mailgun.parse(_body(settings.max_content_length))
    mailgun.verify(document, settings.mailgun_signing_key)
    return _apply(mailgun.events_of(document))


def _guarded(view: Callable[[], Response], provider: str) -> Callable[[], Response]:
    """``view`` with the answers every callback shares: 401, 413, 400 — never a 5xx for a body."""

    def callback() -> Response:
        try:
            return view()
        except NotConfigured as exc:
            logger.warning("%s callback refused: %s.", provider, exc)
            return _answer(401)
        except InvalidSignature:
            return _answer(401)
        except RequestEntityTooLarge:
            return _answer(413)
        except HTTPException as exc:  # a body Werkzeug cannot read
            return _answer(exc.code if exc.code and exc.code < 500 else 400)

    callback.__name__ = f"{provider}_feedback_callback"
    callback.__qualname__ = callback.__name__
    callback.__module__ = __name__
    return callback


VIEWS: dict[str, Callable[[], Response]] = {
    "ses": _guarded(ses_callback, "ses"),
    "sendgrid": _guarded(sendgrid_callback, "sendgrid"),
    "postmark": _guarded(postmark_callback, "postmark"),
    "mailgun": _guarded(mailgun_callback, "mailgun"),
}


def _exempt_from_csrf(app: Any) -> bool:
    """Tell Flask-WTF's ``CSRFProtect`` (when the app has one) that these views take no token."""
    csrf = app.extensions.get("csrf")
    if csrf is None or not hasattr(csrf, "exempt"):
        return False
    for view in VIEWS.values():
        csrf.exempt(f"{__name__}.{view.__name__}")
    return True


def register_feedback_callbacks(blueprint: Blueprint) -> None:
    """Add the four provider routes to the plain blueprint."""
    for provider, view in VIEWS.items():
        blueprint.add_url_rule(FEEDBACK_CALLBACK_PATH.format(provider=provider), view.__name__, view, methods=["POST"])

    def on_register(setup: BlueprintSetupState) -> None:
        if _exempt_from_csrf(setup.app):
            return
        done: list[bool] = []

        def exempt_late() -> None:
            if not done and _exempt_from_csrf(current_app._get_current_object()):  # type: ignore[attr-defined]
                done.append(True)

        setup.app.before_request(exempt_late)

    blueprint.record_once(on_register)
