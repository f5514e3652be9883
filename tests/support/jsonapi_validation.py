"""Validate every JSON:API response a test receives, as a reusable pytest helper.

Enable it from any conftest with an autouse fixture::

    @pytest.fixture(autouse=True)
    def _jsonapi_responses(monkeypatch):
        enable_jsonapi_validation(monkeypatch, api_prefixes=("/api",))

Every response read through Flask's test client whose content type is
``application/vnd.api+json`` (and whose status is not 204) is validated
against the official JSON:API 1.0 schema in ``tests/jsonapi_schema/``. A
response under one of ``api_prefixes`` with any other content type fails the
test: the API must never answer plain JSON or HTML.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest
from flask.testing import FlaskClient
from jsonschema import Draft202012Validator, ValidationError, validators
from referencing import Registry, Resource
from werkzeug.test import TestResponse

MEDIA_TYPE = "application/vnd.api+json"
SCHEMA_DIR = Path(__file__).resolve().parents[1] / "jsonapi_schema"
RESPONSE_SCHEMA_ID = "https://jsonapi.org/schemas/spec/v1.0/draft"


@cache
def registry() -> Registry:
    """All four official schemas, by ``$id``, so their ``$ref``s resolve offline."""
    resources = []
    for path in sorted(SCHEMA_DIR.glob("*.json")):
        contents = json.loads(path.read_text())
        resources.append((contents["$id"], Resource.from_contents(contents)))
    return Registry().with_resources(resources)


def _unique_items(validator: Any, unique: bool, instance: Any, schema: Any) -> Iterator[ValidationError]:
    # jsonschema compares the items of an array of objects pair by pair: the `errors` of a
    # document refusing 2,000 query parameters took 5 s to check. The same rule in one pass.
    if not unique or not validator.is_type(instance, "array"):
        return
    seen: set[str] = set()
    for item in instance:
        key = json.dumps(item, sort_keys=True)
        if key in seen:
            yield ValidationError(f"{item!r} is not unique in the array")
            return
        seen.add(key)


#: The 2020-12 validator with a linear ``uniqueItems``.
Validator = validators.extend(Draft202012Validator, {"uniqueItems": _unique_items})


@cache
def validator(schema_id: str = RESPONSE_SCHEMA_ID) -> Any:
    """A validator for one of the schemas (response documents by default)."""
    schema = registry().contents(schema_id)
    return Validator(schema, registry=registry(), format_checker=Draft202012Validator.FORMAT_CHECKER)


def validate_document(document: Any, schema_id: str = RESPONSE_SCHEMA_ID) -> None:
    """Fail the test with every schema violation of ``document``."""
    errors = sorted(validator(schema_id).iter_errors(document), key=lambda e: list(e.path))
    if errors:
        details = "\n".join(f"  at /{'/'.join(map(str, e.path))}: {e.message}" for e in errors)
        pytest.fail(f"Not a valid JSON:API document:\n{details}\n{json.dumps(document, indent=2)}")


def check_response(response: TestResponse, api_prefixes: Iterable[str]) -> None:
    """Validate one response (see the module docstring for the rules)."""
    path = response.request.path
    in_api = any(path == p or path.startswith(p.rstrip("/") + "/") for p in api_prefixes)
    if response.status_code == 204:
        if in_api and response.get_data():
            pytest.fail(f"204 from {path} has a body")
        return
    if response.mimetype == MEDIA_TYPE:
        if response.content_type != MEDIA_TYPE:
            pytest.fail(f"{path} answered {response.content_type!r} (parameters added)")
        validate_document(json.loads(response.get_data()))
    elif in_api:
        pytest.fail(
            f"{response.request.method} {path} answered {response.status_code} with "
            f"{response.content_type!r}, not {MEDIA_TYPE}: {response.get_data(as_text=True)[:300]}"
        )


def enable_jsonapi_validation(monkeypatch: pytest.MonkeyPatch, api_prefixes: Iterable[str] = ()) -> None:
    """Patch Flask's test client so every response goes through :func:`check_response`.

    Enabled again (a suite claiming its prefixes after the root conftest did), it replaces
    the check rather than wrapping it: each response is validated once, with every prefix
    claimed so far.
    """
    current = FlaskClient.open
    original = getattr(current, "unchecked", current)
    prefixes = (*getattr(current, "api_prefixes", ()), *api_prefixes)

    def open_and_check(self: FlaskClient, *args: Any, **kwargs: Any) -> TestResponse:
        response = original(self, *args, **kwargs)
        check_response(response, prefixes)
        return response

    open_and_check.unchecked = original  # type: ignore[attr-defined]
    open_and_check.api_prefixes = prefixes  # type: ignore[attr-defined]
    monkeypatch.setattr(FlaskClient, "open", open_and_check)
