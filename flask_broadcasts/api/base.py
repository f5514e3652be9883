"""The one way resources make their blueprint: JSON:API plus the tenant check."""

from __future__ import annotations

from typing import Any

from flask import request, url_for

from ..auth import authenticate_request
from ..errors import PayloadTooLargeError
from ..jsonapi import JsonApiBlueprint
from ..state import get_state


def limit_request_body() -> None:
    """Cap the request body at ``BROADCASTS_MAX_CONTENT_LENGTH`` before anything reads it.

    A declared ``Content-Length`` above the cap is refused at once (413), before the
    token is even looked up; a chunked body is cut off by Werkzeug while it streams in
    (``request.max_content_length``, per request since Flask 3.1), also a 413.
    """
    limit = get_state().settings.max_content_length
    if limit is None:
        return
    request.max_content_length = limit
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLargeError(f"The request body is larger than {limit} bytes.", code="body_too_large")


def resource_url(endpoint: str, id: Any, organization_id: str) -> str:
    """The URL of one resource of the organization (``?o=`` included), as ``Location`` and
    ``links.self`` of the ``201`` that created it: ``endpoint`` is its item view,
    ``broadcast_templates.TemplateItem``."""
    return url_for(endpoint, id=str(id), o=organization_id, _external=True)


def resource_blueprint(name: str, import_name: str, **kwargs: Any) -> JsonApiBlueprint:
    """A :class:`~flask_broadcasts.jsonapi.JsonApiBlueprint` that authenticates every request.

    The body size is capped (:func:`limit_request_body`), then Bearer token and ``?o=``
    are checked before any view runs (fail-closed); the view reads the tenant with
    :func:`flask_broadcasts.auth.current_tenant`.
    """
    blueprint = JsonApiBlueprint(name, import_name, **kwargs)
    blueprint.before_request(limit_request_body)
    blueprint.before_request(authenticate_request)
    return blueprint
