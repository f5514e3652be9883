"""The host's own JSON:API: ``/api/customers``, ``/api/bookings`` and ``/api/communities``.

Authenticated like the extension's endpoints (``Authorization: Bearer``, ``?o=``),
with the same functions the extension gets as hooks, and in the same order:
401 without a valid token, then 400 without ``o``, then 403 for a non-member.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, g, request
from werkzeug.exceptions import HTTPException

from ..auth import is_member, user_for_token
from ..filters import parse_pk
from ..models import User
from .jsonapi import ApiError, error_response

bp = Blueprint("host_api", __name__)


@dataclass(frozen=True)
class Tenant:
    """The caller and the organization they act in."""

    user: User
    organization_id: int


def _bearer_token() -> str | None:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer":
        return None
    return token.strip() or None


@bp.before_request
def authenticate() -> None:
    token = _bearer_token()
    user = user_for_token(token) if token else None
    if user is None:
        raise ApiError(401, "Unauthorized", "A valid Bearer token is required.")
    organization = request.args.get("o", "")
    if not organization:
        raise ApiError(
            400, "Missing organization", "The query parameter 'o' (organization id) is required.", parameter="o"
        )
    org = parse_pk(organization)
    if org is None:
        raise ApiError(
            400, "Invalid organization", "The query parameter 'o' must be an organization id.", parameter="o"
        )
    if not is_member(user, organization):
        raise ApiError(403, "Forbidden", "You are not a member of this organization.", parameter="o")
    g.tenant = Tenant(user=user, organization_id=org)


def current_tenant() -> Tenant:
    """The tenant of the current request (set by :func:`authenticate`)."""
    return g.tenant


# Scoped to this blueprint: the host's other pages keep Flask's (or their own) error pages.
bp.register_error_handler(HTTPException, error_response)

from . import bookings, communities, customers  # noqa: E402,F401  (registers the views)

__all__ = ["Tenant", "bp", "current_tenant"]
