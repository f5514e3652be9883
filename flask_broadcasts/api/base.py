"""The one way resources make their blueprint: JSON:API plus the tenant check."""

from __future__ import annotations

from typing import Any

from ..auth import authenticate_request
from ..jsonapi import JsonApiBlueprint


def resource_blueprint(name: str, import_name: str, **kwargs: Any) -> JsonApiBlueprint:
    """A :class:`~flask_broadcasts.jsonapi.JsonApiBlueprint` that authenticates every request.

    Bearer token and ``?o=`` are checked before any view runs (fail-closed); the view
    reads the tenant with :func:`flask_broadcasts.auth.current_tenant`.
    """
    blueprint = JsonApiBlueprint(name, import_name, **kwargs)
    blueprint.before_request(authenticate_request)
    return blueprint
