"""Content negotiation as JSON:API 1.0 specifies it.

https://jsonapi.org/format/1.0/#content-negotiation-servers: a request whose
``Content-Type`` is the JSON:API media type with media type parameters is
answered 415; a request whose ``Accept`` lists the JSON:API media type only
with media type parameters is answered 406. Requests that carry a body must
declare the JSON:API media type (anything else is 415 too); a ``POST`` with no body at
all to an action (``/start``, ``/pause``...) needs no ``Content-Type``.
"""

from __future__ import annotations

from flask import Response, current_app, request
from werkzeug.exceptions import NotAcceptable, UnsupportedMediaType

__all__ = ["MEDIA_TYPE", "check_request", "force_media_type"]

#: The JSON:API media type, for requests and responses.
MEDIA_TYPE = "application/vnd.api+json"

_BODY_METHODS = frozenset({"POST", "PATCH", "PUT"})


def _split_media_range(entry: str) -> tuple[str, list[str]]:
    """Split ``type/subtype; a=b; q=0.5`` into the media type and its parameters.

    ``q`` (and what follows it) are accept-params, not media type parameters,
    so a quality value alone does not make a JSON:API entry "modified".
    """
    media_type, *raw_params = (part.strip() for part in entry.split(";"))
    params: list[str] = []
    for raw in raw_params:
        if raw.split("=", 1)[0].strip().lower() == "q":
            break
        if raw:
            params.append(raw)
    return media_type.lower(), params


def check_request() -> None:
    """Raise 415/406 for a request that breaks JSON:API content negotiation.

    Meant as a ``before_request`` hook of the API blueprint.

    :raises UnsupportedMediaType: bad ``Content-Type``.
    :raises NotAcceptable: every JSON:API entry of ``Accept`` has parameters.
    """
    content_type = request.headers.get("Content-Type")
    if content_type is not None:
        media_type, params = _split_media_range(content_type)
        if media_type == MEDIA_TYPE and params:
            raise UnsupportedMediaType(f"Content-Type {MEDIA_TYPE} must not carry media type parameters.")
    if (
        request.method in _BODY_METHODS
        and (content_type is None or _split_media_range(content_type)[0] != MEDIA_TYPE)
        and not (_is_action() and _has_no_body())
    ):
        raise UnsupportedMediaType(f"The request body must be sent as {MEDIA_TYPE}.")

    accept = request.headers.get("Accept")
    if accept:
        jsonapi_entries = [
            params for media_type, params in map(_split_media_range, accept.split(",")) if media_type == MEDIA_TYPE
        ]
        if jsonapi_entries and all(jsonapi_entries):
            raise NotAcceptable(f"Accept lists {MEDIA_TYPE} only with media type parameters.")


def _is_action() -> bool:
    """Whether the request is routed to an action view (its class sets ``jsonapi_action``)."""
    view = current_app.view_functions.get(request.endpoint or "")
    return bool(getattr(getattr(view, "view_class", None), "jsonapi_action", False))


def _has_no_body() -> bool:
    return not request.content_length and "chunked" not in request.headers.get("Transfer-Encoding", "").lower()


def force_media_type(response: Response) -> Response:
    """Label plain JSON answers of the API blueprint as JSON:API.

    Meant as an ``after_request`` hook: our renderers already answer with
    :data:`MEDIA_TYPE`; this catches a view that used ``jsonify`` or
    flask-smorest's ``@response``.
    """
    if response.mimetype == "application/json":
        response.mimetype = MEDIA_TYPE
    return response
