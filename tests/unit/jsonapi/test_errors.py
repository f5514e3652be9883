from __future__ import annotations

import http

import pytest
import werkzeug.exceptions as wexc

from flask_broadcasts import errors
from flask_broadcasts.jsonapi.error_documents import errors_for

CASES = [
    (errors.BadRequestError, 400, wexc.BadRequest),
    (errors.UnauthorizedError, 401, wexc.Unauthorized),
    (errors.ForbiddenError, 403, wexc.Forbidden),
    (errors.NotFoundError, 404, wexc.NotFound),
    (errors.ConflictError, 409, wexc.Conflict),
    (errors.PayloadTooLargeError, 413, wexc.RequestEntityTooLarge),
    (errors.InvalidInputError, 422, wexc.UnprocessableEntity),
]


@pytest.mark.parametrize(("cls", "status", "werkzeug_cls"), CASES)
def test_http_errors_are_broadcasts_and_werkzeug_errors(cls, status, werkzeug_cls):
    exc = cls("Nope.", pointer="/data/id", parameter="o", code="nope")
    assert isinstance(exc, errors.BroadcastsError) and isinstance(exc, werkzeug_cls)
    assert exc.code == status and exc.description == "Nope."
    assert errors_for(exc) == (
        status,
        [
            {
                "status": str(status),
                "title": http.HTTPStatus(status).phrase,
                "detail": "Nope.",
                "code": "nope",
                "source": {"pointer": "/data/id", "parameter": "o"},
            }
        ],
    )


def test_many_groups_errors_under_one_status():
    exc = errors.InvalidInputError.many(
        [
            errors.InvalidInputError("a", pointer="/data/attributes/a"),
            errors.InvalidInputError("b", pointer="/data/attributes/b", code="b"),
        ]
    )
    status, objects = errors_for(exc)
    assert status == 422
    assert [o["detail"] for o in objects] == ["a", "b"]
    with pytest.raises(ValueError):
        errors.InvalidInputError.many([])


def test_plain_broadcasts_error_is_an_unexpected_500():
    assert errors_for(errors.BroadcastsError("internal detail"))[1][0]["detail"] == ("An unexpected error occurred.")
