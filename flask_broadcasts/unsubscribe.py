"""The public unsubscribe link on the plain blueprint: ``{prefix}/broadcast-unsubscribe/<token>``.

* ``POST`` (a mail provider's one-click request, RFC 8058, or the page's button) with a
  valid token suppresses the message's address for its organization and channel and
  answers ``200``; with or without the ``List-Unsubscribe=One-Click`` field, urlencoded or
  multipart, with no cookie and no credentials. Repeating it answers the same.
* ``GET`` (a person, or a link scanner) shows a page with one button that POSTs; it
  changes nothing.
* A forged, altered or expired token answers ``400`` and changes nothing; a body above
  :data:`MAX_BODY` answers ``413``.

The page is the Jinja template ``broadcasts/unsubscribe.html`` (a host overrides it in its
own templates folder), in the message's language, with security headers and no script.
Nothing here uses a session, so there is no cross-site request to forge; with
Flask-WTF's ``CSRFProtect`` on, the view is exempted by itself (:func:`_exempt_from_csrf`).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request
from flask.blueprints import BlueprintSetupState
from werkzeug.exceptions import HTTPException, RequestEntityTooLarge

from .engine.unsubscribe import UNSUBSCRIBE_PATH, InvalidToken, UnsubscribeLink, read_link, unsubscribe
from .rendering.unsubscribe_texts import DEFAULT_LANGUAGE, TEXTS, texts_for
from .state import get_state
from .statuses import ConsentMethod

__all__ = ["MAX_BODY", "register_unsubscribe", "unsubscribe_view"]

#: Largest accepted POST body (bytes): the one-click form is one short field.
MAX_BODY = 4096
#: The view's dotted name, as Flask-WTF's ``csrf.exempt`` takes it.
VIEW_NAME = "flask_broadcasts.unsubscribe.unsubscribe_view"

_SECURITY_HEADERS = {
    # No script, no frames, styles inline only, the form posts to this origin.
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
    "Cache-Control": "no-store",
}


def _texts(link: UnsubscribeLink | None) -> tuple[str, str, dict[str, str]]:
    """The page's language, the organization's name and the texts, ``{organization}`` filled in."""
    texts = texts_for(link.locale_chain if link is not None else ())
    language = next((lang for lang, known in TEXTS.items() if known is texts), DEFAULT_LANGUAGE)
    organization = get_state().extension.name_of_organization(link.organization_id) if link is not None else ""
    # A plain replace: the name is the host's data, never a format string.
    return language, organization, {key: text.replace("{organization}", organization) for key, text in texts.items()}


def _page(state: str, link: UnsubscribeLink | None, status: int) -> Response:
    language, organization, texts = _texts(link)
    html = render_template(
        "broadcasts/unsubscribe.html",
        state=state,
        organization=organization,
        texts=texts,
        lang=language,
        action=request.path,
    )
    response = Response(html, status=status, mimetype="text/html")
    response.headers.update(_SECURITY_HEADERS)
    return response


def _read_body() -> Mapping[str, Any]:
    """The POSTed form, capped at :data:`MAX_BODY` (413 above, declared or streamed)."""
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise RequestEntityTooLarge()
    request.max_content_length = MAX_BODY
    return request.form


def unsubscribe_view(token: str) -> Response:
    """``GET``: the page (changes nothing). ``POST``: unsubscribe. ``400`` for a bad token."""
    form: Mapping[str, Any] = {}
    if request.method == "POST":
        try:
            form = _read_body()
        except HTTPException as exc:  # too large, or a body Werkzeug cannot parse
            if isinstance(exc, RequestEntityTooLarge):
                return _page("invalid", None, 413)
            return _page("invalid", None, 400)
    try:
        link = read_link(token)
    except InvalidToken:
        return _page("invalid", None, 400)
    if link.message is None:  # purged (older than the purge keeps): nothing left to unsubscribe
        return _page("invalid", link, 400)
    if request.method != "POST":
        return _page("confirm", link, 200)
    try:
        # The page's button adds via=page; a provider's one-click POST (RFC 8058) does not.
        method = ConsentMethod.PAGE if form.get("via") == "page" else ConsentMethod.ONE_CLICK
        unsubscribe(link, method=method, ip=request.remote_addr)
    except LookupError:
        return _page("invalid", link, 400)
    return _page("done", link, 200)


def _exempt_from_csrf(app: Any) -> bool:
    """Tell Flask-WTF's ``CSRFProtect``, when the app has one, that this view takes no CSRF token."""
    csrf = app.extensions.get("csrf")
    if csrf is None or not hasattr(csrf, "exempt"):
        return False
    csrf.exempt(VIEW_NAME)
    return True


def register_unsubscribe(blueprint: Blueprint) -> None:
    """Add the unsubscribe route to the plain blueprint (and its exemption from Flask-WTF's CSRF check)."""
    blueprint.add_url_rule(UNSUBSCRIBE_PATH, "unsubscribe", unsubscribe_view, methods=["GET", "POST"])

    def on_register(setup: BlueprintSetupState) -> None:
        app = setup.app
        if _exempt_from_csrf(app):
            return
        # CSRFProtect set up after us: our app-level hook runs before its check (hooks run in
        # the order they were registered) and exempts the view on the first request.
        done: list[bool] = []

        def exempt_late() -> None:
            if not done and _exempt_from_csrf(current_app._get_current_object()):  # type: ignore[attr-defined]
                done.append(True)

        app.before_request(exempt_late)

    blueprint.record_once(on_register)
