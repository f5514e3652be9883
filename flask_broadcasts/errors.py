"""Provisional error hierarchy (replaced by the JSON:API core's version on merge)."""

from __future__ import annotations

from werkzeug import exceptions as http


class BroadcastsError(Exception):
    """Base of every error the extension raises on purpose."""


class _HTTPError(BroadcastsError):
    def __init__(self, detail: str, *, pointer: str | None = None, parameter: str | None = None, code: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.description = detail
        self.pointer = pointer
        self.parameter = parameter
        self.error_code = code


class BadRequestError(_HTTPError, http.BadRequest):
    pass


class UnauthorizedError(_HTTPError, http.Unauthorized):
    pass


class ForbiddenError(_HTTPError, http.Forbidden):
    pass


class NotFoundError(_HTTPError, http.NotFound):
    pass


class ConflictError(_HTTPError, http.Conflict):
    pass


class InvalidInputError(_HTTPError, http.UnprocessableEntity):
    pass
