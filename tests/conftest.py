"""Fixtures every suite uses: the migrated scratch databases (tests/support/database.py), the
real services (tests/support/fixtures.py: Redis, SMTP on loopback; a suite's own conftest
overrides them), and the JSON:API check of every response."""

from __future__ import annotations

import pytest

from tests.support.jsonapi_validation import enable_jsonapi_validation

pytest_plugins = ["tests.support.database", "tests.support.fixtures"]


@pytest.fixture(autouse=True)
def _every_jsonapi_response_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``application/vnd.api+json`` response any test reads through a Flask test
    client (errors included) is validated against the official JSON:API schema.

    Suites that own a URL prefix enable the stricter form themselves (any other content
    type under their prefix fails); here no prefix is claimed, so file downloads and the
    OpenAPI document pass through untouched.
    """
    enable_jsonapi_validation(monkeypatch)
