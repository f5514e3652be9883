"""Authentication and tenant context of the JSON:API blueprint (fail-closed).

Every request names its organization with ``?o=`` and carries ``Authorization:
Bearer <token>``. The host's hooks decide who the token is and whether they may act
in that organization; without hooks nobody gets in.
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from typing import Any

from flask import g, has_request_context, request

from .errors import BadRequestError, BroadcastsSetupWarning, ForbiddenError, UnauthorizedError
from .state import BroadcastsState, get_state

# Host ids are ints or UUIDs; anything else in ?o= is a client bug, not a lookup.
ORGANIZATION_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class Tenant:
    """Who is calling, and for which organization."""

    principal: Any
    organization_id: str

    @property
    def principal_id(self) -> str | None:
        """The principal's ``id`` as text (``None`` if it has none): who acted, in records."""
        value = getattr(self.principal, "id", None)
        return None if value is None else str(value)


def bearer_token() -> str | None:
    """The token of the request's ``Authorization: Bearer <token>`` header, or ``None``.

    The scheme is matched case-insensitively; an empty token counts as none.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def parse_organization_id(value: str | None) -> str:
    """Validate the ``?o=`` organization id and return it unchanged.

    :raises BadRequestError: when it is missing or not 1–64 letters, digits, ``_`` or
        ``-`` (an int or a UUID); it is never looked up.
    """
    if value is None or value == "":
        raise BadRequestError("The query parameter 'o' (organization id) is required.", parameter="o")
    if not ORGANIZATION_ID.match(value):
        raise BadRequestError("The query parameter 'o' is not a valid organization id.", parameter="o")
    return value


_REFUSED = {"token_loader": "401", "organization_access": "403"}


def warn_missing_hooks(state: BroadcastsState) -> None:
    """Warn (:class:`~flask_broadcasts.errors.BroadcastsSetupWarning`), once per app, when an
    auth hook is missing. Checked at the first request, not at ``init_app``: hosts may
    register their hooks after it."""
    if getattr(state, "_hooks_checked", False):
        return
    state._hooks_checked = True  # type: ignore[attr-defined]
    missing = state.extension.missing_hooks()
    if missing:
        refused = ", ".join(f"no {name} (every request is a {_REFUSED[name]})" for name in missing)
        decorators = " and ".join(f"@broadcasts.{name}" for name in missing)
        warnings.warn(
            f"flask-broadcasts has {refused}: register {decorators} before the first request "
            "(the integration docs, 'Authentication and tenants: two hooks').",
            BroadcastsSetupWarning,
            stacklevel=3,
        )


def authenticate(token: str | None, organization_id: str | None) -> Tenant:
    """Resolve a token and an organization into a :class:`Tenant`.

    401 without a valid token (checked first, so nothing is said to strangers about
    ``o``), 400 for a missing or malformed ``o``, 403 when not a member.
    """
    state = get_state()
    warn_missing_hooks(state)
    extension = state.extension
    principal = extension.load_principal(token) if token else None
    if principal is None:
        raise UnauthorizedError("A valid Bearer token is required.")
    organization_id = parse_organization_id(organization_id)
    # The hook may also raise AccessDenied (a ForbiddenError) to say why; it goes through as is.
    if not extension.may_access(principal, organization_id):
        raise ForbiddenError("You are not a member of this organization.", parameter="o")
    return Tenant(principal=principal, organization_id=organization_id)


def authenticate_request() -> None:
    """``before_request`` of the JSON:API blueprint: sets ``g.broadcasts_tenant``."""
    g.broadcasts_tenant = authenticate(bearer_token(), request.args.get("o"))


def current_tenant() -> Tenant:
    """The tenant of the current request (only inside the JSON:API blueprint)."""
    return g.broadcasts_tenant


def current_organization_id() -> str:
    """The organization id of the current JSON:API request: its ``?o=`` value, a raw string.

    Available to every host callback the extension calls while it serves a request of its
    JSON:API blueprint (serializers, audience and community sources), once the request is
    authenticated; ``organization_access`` is given the same value as its argument.

    :raises RuntimeError: outside such a request (no request, another blueprint, a job).
    """
    tenant = g.get("broadcasts_tenant") if has_request_context() else None
    if not isinstance(tenant, Tenant):
        raise RuntimeError(
            "current_organization_id() is only available while flask-broadcasts serves an "
            "authenticated request of its JSON:API blueprint (not in other requests, the CLI or "
            "RQ jobs, which receive the organization id as an argument)."
        )
    return tenant.organization_id
