"""Turn exceptions into JSON:API error documents.

Every error leaving the API blueprint goes through :func:`error_response`:
our :class:`~flask_broadcasts.errors.BroadcastsError` family (with pointer,
parameter and code), marshmallow-jsonapi's ``IncorrectTypeError`` (409, as
JSON:API asks for a wrong ``type``), any Werkzeug ``HTTPException`` (routing,
negotiation, webargs) and, last, the unexpected exception (500, logged, with
nothing of its internals in the body).
"""

from __future__ import annotations

import http
from collections.abc import Iterable, Mapping
from typing import Any

from flask import Response, current_app
from marshmallow_jsonapi.exceptions import IncorrectTypeError
from werkzeug.exceptions import HTTPException

from ..errors import BroadcastsError
from .negotiation import MEDIA_TYPE

__all__ = ["error_object", "error_response", "errors_for"]

ErrorObject = dict[str, Any]

_UNEXPECTED_DETAIL = "An unexpected error occurred."


def error_object(
    status: int,
    detail: str,
    *,
    pointer: str | None = None,
    parameter: str | None = None,
    code: str | None = None,
    meta: Mapping[str, Any] | None = None,
) -> ErrorObject:
    """Build one JSON:API error object.

    :param status: HTTP status; emitted as a string as JSON:API requires.
    :param detail: human-readable explanation.
    :param pointer: JSON pointer into the request body.
    :param parameter: offending query parameter.
    :param code: stable machine-readable code.
    :param meta: non-standard facts about the error (``{"status": "completed"}``).
    """
    obj: ErrorObject = {
        "status": str(status),
        "title": http.HTTPStatus(status).phrase,
        "detail": detail,
    }
    if code is not None:
        obj["code"] = code
    source = {key: value for key, value in (("pointer", pointer), ("parameter", parameter)) if value is not None}
    if source:
        obj["source"] = source
    if meta:
        obj["meta"] = dict(meta)
    return obj


def _webargs_errors(status: int, messages: Mapping[str, Any]) -> list[ErrorObject]:
    """Flatten webargs' ``{location: {field: [msg]}}`` (flask-smorest's ``@arguments``)."""
    errors = []
    for location, fields in messages.items():
        items = fields.items() if isinstance(fields, Mapping) else [("", fields)]
        for name, msgs in items:
            for msg in msgs if isinstance(msgs, list) else [msgs]:
                where = {"pointer": f"/{name}"} if location == "json" else {"parameter": name}
                errors.append(error_object(status, str(msg), **where))
    return errors


def errors_for(exc: BaseException) -> tuple[int, list[ErrorObject]]:
    """Return the HTTP status and the error objects that describe ``exc``."""
    if isinstance(exc, BroadcastsError) and isinstance(exc, HTTPException):
        status = exc.code or 500
        return status, [
            error_object(
                # A grouped error keeps its own status (a 404 among the problems of a 400).
                getattr(err, "code", None) or status,
                err.detail,
                pointer=err.pointer,
                parameter=err.parameter,
                code=err.error_code,
                meta=getattr(err, "meta", None),
            )
            for err in exc.errors
        ]
    if isinstance(exc, IncorrectTypeError):
        return 409, [error_object(409, exc.detail, pointer=exc.pointer)]
    if isinstance(exc, HTTPException) and exc.code is not None and exc.code != 500:
        messages = (getattr(exc, "data", None) or {}).get("messages")
        if isinstance(messages, Mapping) and messages:
            return exc.code, _webargs_errors(exc.code, messages)
        return exc.code, [error_object(exc.code, exc.description or exc.name)]
    return 500, [error_object(500, _UNEXPECTED_DETAIL)]


def error_response(
    status: int,
    errors: Iterable[ErrorObject],
    headers: Iterable[tuple[str, str]] = (),
) -> Response:
    """Serialize an error document with the JSON:API media type."""
    body = current_app.json.dumps({"errors": list(errors)})
    response = current_app.response_class(body, status=status, mimetype=MEDIA_TYPE)
    response.headers.extend(headers)
    return response


def handle_exception(exc: BaseException) -> Response:
    """Flask error handler for everything raised under the API blueprint."""
    status, errors = errors_for(exc)
    if status >= 500:
        # Logged here because the client only gets the generic detail.
        current_app.logger.error("Unhandled error in the JSON:API blueprint", exc_info=exc)
    headers: list[tuple[str, str]] = []
    if isinstance(exc, HTTPException):
        # Keep Werkzeug's extra headers (Allow on 405, WWW-Authenticate on 401, Retry-After on
        # a 503 raised with retry_after: the event tickets' answer while Redis is down).
        headers = [(key, value) for key, value in exc.get_headers() if key.lower() != "content-type"]
    return error_response(status, errors, headers)
