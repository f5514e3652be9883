"""The operator dashboard: an optional blueprint (``BROADCASTS_DASHBOARD_URL_PREFIX``).

One HTML page and its plain ES modules and CSS (``static/``, shipped in the package: no
CDN, no build step). The page talks to the extension only through the public JSON:API
and the websocket, like any client a host could write; this module serves the files and,
when the host registered :meth:`~flask_broadcasts.Broadcasts.dashboard_session`, hands the
signed-in operator's token to the page (``GET {prefix}/session``), which keeps it in memory.

Tenant HTML (template bodies) is only ever shown inside a sandboxed ``<iframe srcdoc>``
(no ``allow-scripts``, no ``allow-same-origin``) that carries a CSP of its own; the page's
CSP allows scripts from this origin only, so neither the page nor a preview runs inline
script.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify, render_template

from ..state import get_state

__all__ = ["PAGE_CSP", "make_dashboard_blueprint"]

#: The page's Content-Security-Policy. A preview's ``srcdoc`` document inherits it (and adds
#: its own, stricter one), so styles may be inline (e-mail HTML is styled inline) and images
#: may come from https (e-mail images live on the sender's servers); scripts come from this
#: origin only, the socket and the API are this origin's, and nothing may frame the page.
PAGE_CSP = "; ".join(
    (
        "default-src 'none'",
        "script-src 'self'",
        "style-src 'self' 'unsafe-inline'",
        "img-src 'self' data: https:",
        "font-src 'self' data: https:",
        "connect-src 'self'",
        "frame-src 'self'",
        "base-uri 'none'",
        "form-action 'none'",
        "frame-ancestors 'none'",
    )
)
_HEADERS = {
    "Content-Security-Policy": PAGE_CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}


def _index() -> Response:
    settings = get_state().settings
    html = render_template(
        "broadcasts_dashboard/index.html",
        api_prefix=settings.url_prefix.rstrip("/"),
        events_prefix=(settings.events_url_prefix or settings.url_prefix).rstrip("/"),
        has_session_hook=get_state().extension.has_dashboard_session,
    )
    return Response(html, mimetype="text/html")


def _session() -> Response | tuple[str, int]:
    """The host's signed-in operator (its :meth:`dashboard_session` hook), or 204: not signed in."""
    found = get_state().extension.dashboard_session_of_request()
    if found is None:
        return "", 204
    token, organization_id = found
    return jsonify({"token": token, "organization_id": organization_id})


def _secure(response: Response) -> Response:
    for name, value in _HEADERS.items():
        response.headers.setdefault(name, value)
    # The page and the session answer carry who is signed in: never kept by a cache.
    if response.mimetype != "text/javascript" and response.mimetype != "text/css":
        response.headers["Cache-Control"] = "no-store"
        response.vary.add("Cookie")
    return response


def make_dashboard_blueprint() -> Blueprint:
    """A fresh dashboard blueprint (registered by ``init_app`` when the prefix is set)."""
    dashboard = Blueprint(
        "broadcasts_dashboard",
        __name__,
        static_folder="static",
        static_url_path="/static",
        template_folder="templates",
    )
    dashboard.add_url_rule("/", "index", _index, methods=["GET"])
    dashboard.add_url_rule("/session", "session", _session, methods=["GET"])
    dashboard.after_request(_secure)
    return dashboard
