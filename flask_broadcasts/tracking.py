"""The public tracking endpoints on the plain blueprint (no credentials: a signed token each).

* ``GET|HEAD {prefix}/broadcast-t/o/<token>.gif``: the open pixel, a 1x1 transparent GIF;
  an open is recorded (``HEAD``: as machine activity).
* ``GET|HEAD {prefix}/broadcast-t/c/<token>``: a ``302`` to the message's link at the
  token's index, read from the message's stored content (never from the request); a click
  is recorded.

A forged, altered or other kind of token → ``400``; a valid token whose message is not in
its organization (or is gone) → ``404``; a link index the message does not have → ``400``:
nothing is recorded for any of them. Only translation here: :mod:`flask_broadcasts.engine.tracking`
does the work. The client's IP address and user agent decide "machine" and are not kept.
"""

from __future__ import annotations

import base64

from flask import Blueprint, Response, request

from .engine.tracking import (
    CLICK_PATH,
    OPEN_PATH,
    InvalidToken,
    NoSuchLink,
    TrackingRequest,
    follow_click,
    record_open,
)

__all__ = ["PIXEL", "register_tracking"]

#: A 1x1 transparent GIF (42 bytes).
PIXEL = base64.b64decode("R0lGODlhAQABAIAAAAAAAP///yH5BAEAAAAALAAAAAABAAEAAAIBRAA7")
#: The longest token accepted (ids only: far below this); longer → 400 before any work.
MAX_TOKEN = 512

_HEADERS = {
    "Cache-Control": "no-store, private",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}


def _answer(status: int, body: bytes = b"", mimetype: str = "text/plain") -> Response:
    response = Response(body, status=status, mimetype=mimetype)
    response.headers.update(_HEADERS)
    return response


def _tracking_request() -> TrackingRequest:
    return TrackingRequest(
        head=request.method == "HEAD", ip=request.remote_addr, user_agent=request.headers.get("User-Agent")
    )


def open_view(token: str) -> Response:
    """The pixel; ``400``/``404`` for a bad token (nothing recorded)."""
    if len(token) > MAX_TOKEN:
        return _answer(400, b"invalid link")
    try:
        record_open(token, _tracking_request())
    except InvalidToken:
        return _answer(400, b"invalid link")
    except LookupError:
        return _answer(404, b"not found")
    return _answer(200, PIXEL, "image/gif")


def click_view(token: str) -> Response:
    """A redirect to the message's link; ``400``/``404`` for a bad token or index (nothing recorded)."""
    if len(token) > MAX_TOKEN:
        return _answer(400, b"invalid link")
    try:
        target = follow_click(token, _tracking_request())
    except (InvalidToken, NoSuchLink):
        return _answer(400, b"invalid link")
    except LookupError:
        return _answer(404, b"not found")
    response = _answer(302)
    response.headers["Location"] = target
    return response


def register_tracking(blueprint: Blueprint) -> None:
    """Add the pixel and the click redirect to the plain blueprint."""
    blueprint.add_url_rule(OPEN_PATH, "track_open", open_view, methods=["GET", "HEAD"])
    blueprint.add_url_rule(CLICK_PATH, "track_click", click_view, methods=["GET", "HEAD"])
