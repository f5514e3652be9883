"""Exceptions raised by flask-broadcasts.

There is one base, :class:`BroadcastsError`. The subclasses that map to an
HTTP status also subclass the matching Werkzeug exception (as flask-smorest's
``exceptions`` module does), so Flask knows their status code while services
that raise them know nothing of HTTP. The JSON:API layer turns them into error
documents: ``detail`` becomes the error object's ``detail``, ``pointer`` its
``source.pointer``, ``parameter`` its ``source.parameter`` and ``code`` its
``code``.

Example::

    raise NotFoundError("No template 12 in this organization.")
    raise InvalidInputError("Required when recurring is true.",
                            pointer="/data/attributes/cron", code="cron_required")
    raise InvalidInputError.many([
        InvalidInputError("Too long.", pointer="/data/attributes/name"),
        InvalidInputError("Unknown channel.", pointer="/data/attributes/channels"),
    ])
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, TypeVar

import werkzeug.exceptions as wexc

__all__ = [
    "AccessDenied",
    "BadRequestError",
    "BroadcastsError",
    "BroadcastsSetupWarning",
    "ConflictError",
    "ForbiddenError",
    "ILLEGAL_TRANSITION",
    "InvalidInputError",
    "NOTHING_TO_RETRY",
    "NotFoundError",
    "PayloadTooLargeError",
    "TooManyRequestsError",
    "UnauthorizedError",
    "illegal_transition",
    "nothing_to_retry",
]

_E = TypeVar("_E", bound="BroadcastsError")


class BroadcastsError(Exception):
    """Base of every exception raised by flask-broadcasts.

    :param detail: human-readable explanation of this occurrence.
    :param pointer: JSON pointer into the request body (``/data/attributes/name``).
    :param parameter: name of the offending query parameter (``filter[status]``).
    :param code: stable, machine-readable error code (``cron_required``),
        kept as ``error_code`` because Werkzeug's ``code`` is the HTTP status.
    :param meta: the error object's ``meta`` (``{"status": "completed"}`` of an
        ``illegal_transition``).
    """

    def __init__(
        self,
        detail: str,
        *,
        pointer: str | None = None,
        parameter: str | None = None,
        code: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        # Positional on purpose: for the HTTP subclasses super() is Werkzeug's
        # HTTPException, whose first parameter is ``description``.
        super().__init__(detail)
        self.detail = detail
        self.pointer = pointer
        self.parameter = parameter
        self.error_code = code
        self.meta = dict(meta) if meta else None
        self._grouped: tuple[BroadcastsError, ...] = ()

    @property
    def errors(self) -> tuple[BroadcastsError, ...]:
        """Every error this exception stands for (itself unless grouped by :meth:`many`)."""
        return self._grouped or (self,)

    @classmethod
    def many(cls: type[_E], errors: Iterable[BroadcastsError]) -> _E:
        """Group several errors into one exception of this class.

        The HTTP status is this class's; each grouped error keeps its own
        detail, pointer, parameter and code.

        :param errors: at least one error.
        :raises ValueError: if ``errors`` is empty.
        """
        grouped = tuple(errors)
        if not grouped:
            raise ValueError("many() needs at least one error")
        exc = cls("; ".join(error.detail for error in grouped))
        exc._grouped = grouped
        return exc

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.detail!r})"


class BroadcastsSetupWarning(UserWarning):
    """The host's setup will not work as meant: a missing auth hook (every request is then
    refused), Flask-Migrate registered after the extension. The message names the fix."""


class BadRequestError(BroadcastsError, wexc.BadRequest):
    """400: the request is malformed (bad query parameter, unreadable body)."""


class UnauthorizedError(BroadcastsError, wexc.Unauthorized):
    """401: the request carries no valid credentials."""


class ForbiddenError(BroadcastsError, wexc.Forbidden):
    """403: the caller may not do this."""


class AccessDenied(ForbiddenError):
    """403 an ``organization_access`` hook raises to say why the principal is refused.

    The error document carries ``detail`` and, when given, ``code`` (``source.parameter``
    is ``o``, as for every refusal of the organization)::

        @broadcasts.organization_access
        def may_broadcast(user, organization_id):
            if user.organization_id != organization_id:
                return False  # "You are not a member of this organization."
            if user.role not in {"owner", "manager"}:
                raise AccessDenied("Only owners and managers may send broadcasts.", code="role_forbidden")
            return True

    :param detail: human-readable reason, shown to the client.
    :param code: the host's own machine-readable code (``role_forbidden``), or ``None``.
    """

    def __init__(self, detail: str, code: str | None = None) -> None:
        super().__init__(detail, parameter="o", code=code)


class NotFoundError(BroadcastsError, wexc.NotFound):
    """404: the resource does not exist (in this tenant)."""


class ConflictError(BroadcastsError, wexc.Conflict):
    """409: the request conflicts with the resource's type, id or state."""


#: ``code`` of the 409 an action (start, stop, pause, resume) answers when the campaign's
#: status does not allow it; the error's ``meta.status`` is the current status.
ILLEGAL_TRANSITION = "illegal_transition"


def illegal_transition(detail: str, status: str) -> ConflictError:
    """The 409 of an action the campaign's current ``status`` does not allow."""
    return ConflictError(detail, code=ILLEGAL_TRANSITION, meta={"status": status})


#: ``code`` of the 409 of ``retry`` on a completed campaign whose last run has no message
#: failed with a retryable code.
NOTHING_TO_RETRY = "nothing_to_retry"


def nothing_to_retry(detail: str, status: str) -> ConflictError:
    """The 409 of ``retry`` when no message of the last run can be retried."""
    return ConflictError(detail, code=NOTHING_TO_RETRY, meta={"status": status})


class PayloadTooLargeError(BroadcastsError, wexc.RequestEntityTooLarge):
    """413: the request body (or an attachment) is too large."""


class TooManyRequestsError(BroadcastsError, wexc.TooManyRequests):
    """429: a limit is reached; ``retry_after`` seconds until it is not (the ``Retry-After`` header)."""

    def __init__(self, detail: str, *, retry_after: int, code: str | None = None) -> None:
        super().__init__(detail, code=code)
        self.retry_after = retry_after


class InvalidInputError(BroadcastsError, wexc.UnprocessableEntity):
    """422: the body is well-formed but its values are invalid."""
