"""schemathesis against the OpenAPI document the blueprint serves, through the WSGI app.

Every operation of ``/api/broadcasts-docs/openapi.json`` gets ``FUZZ_EXAMPLES`` generated
requests (10 under ``make test``, 2,000 under ``make fuzz``), authenticated as tenant A
(Bearer token + ``?o=``). Half of the path ids are replaced by real ids of tenant A or B so
the fuzzer reaches past the 404. Checks: no 5xx, every status documented, the media type
documented, every body conforming to the documented schema (the JSON:API envelope, error
documents included) and to the official JSON:API schema.
"""

from __future__ import annotations

import json
import os
from typing import Any

import hypothesis
import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.jsonapi_validation import validate_document
from tests.support.security import MEDIA_TYPE, TALLY, World, build_app, empty_tables, make_world

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "10"))
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
# Not negative_data_rejection: the test replaces the generated ``o`` and Authorization (a
# mutation of those is moot) and the API ignores unknown implementation-specific query
# parameters. Negative examples are still sent; they must be answered 4xx, never 5xx, with
# a conforming error document.


def _served_document() -> dict[str, Any]:
    # The document needs no database: an in-memory SQLite app serves it.
    app = build_app("sqlite://")
    return app.test_client().get("/api/broadcasts-docs/openapi.json").get_json()


OPENAPI = _served_document()
OPERATIONS: set[str] = set()
STATUSES: dict[str, int] = {}
schema = schemathesis.openapi.from_dict(OPENAPI)


@pytest.fixture(scope="module")
def fuzz_target(security_database: str) -> Any:
    """One app and one seeded world for every example: no app context is held between
    requests, so each request opens and closes its own session as in production."""
    app = build_app(security_database)
    with app.app_context():
        empty_tables()
        world = make_world()
    return app, world


def _real_id(world: World, path: str, pick: int) -> str:
    tenant = world.a if pick % 3 else world.b
    if path.startswith("/api/broadcast-templates"):
        return tenant.template
    if path.startswith("/api/broadcast-files"):
        return tenant.file
    if path.startswith("/api/broadcast-audiences"):
        return tenant.community_audience if pick % 2 else tenant.audience
    if path.startswith("/api/broadcast-messages"):
        return tenant.message
    if path.startswith("/api/broadcast-suppressions"):
        return tenant.suppression
    return tenant.running_campaign if pick % 2 else tenant.campaign


_REAL = {
    "broadcast-templates": "template",
    "broadcast-audiences": "audience",
    "broadcast-campaigns": "campaign",
    "communities": "community",
}


def _aim_body(case: schemathesis.Case, world: World, pick: int) -> None:
    """Point some generated documents at real rows: ``data.id`` at the URL's id (else every
    PATCH is a 409) and relationship linkage at ids of tenant A (or B: must be a 404)."""
    body = case.body
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict) or pick >= 9:
        return
    data = body["data"]
    if case.method == "PATCH" and case.path_parameters:
        data["id"] = case.path_parameters.get("id")
    relationships = data.get("relationships")
    if isinstance(relationships, dict):
        tenant = world.b if pick == 0 else world.a
        for member in relationships.values():
            linkage = member.get("data") if isinstance(member, dict) else None
            if isinstance(linkage, dict) and linkage.get("type") in _REAL:
                linkage["id"] = getattr(tenant, _REAL[linkage["type"]])


@schema.parametrize()
@schema.given(pick=st.integers(min_value=0, max_value=11))
@hypothesis.settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=os.environ.get("FUZZ_SEED") is None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_openapi_operations(case: schemathesis.Case, pick: int, fuzz_target: Any) -> None:
    app, world = fuzz_target
    query = dict(case.query or {})
    query["o"] = world.a.org
    case.query = query
    if case.path_parameters and "id" in case.path_parameters and pick < 6:
        case.path_parameters = {**case.path_parameters, "id": _real_id(world, case.path, pick)}
    _aim_body(case, world, pick)
    headers = {"Authorization": f"Bearer {world.a.token}", "Accept": MEDIA_TYPE}
    case.headers = {**(case.headers or {}), **headers}
    response = case.call(app=app)
    TALLY.probe("openapi fuzz", server_error=response.status_code >= 500)
    STATUSES[f"{case.method} {response.status_code}"] = STATUSES.get(f"{case.method} {response.status_code}", 0) + 1
    TALLY.notes["openapi statuses"] = dict(sorted(STATUSES.items()))
    OPERATIONS.add(f"{case.method} {case.path}")
    TALLY.notes["openapi operations fuzzed"] = len(OPERATIONS)
    TALLY.notes["openapi examples per operation (max)"] = EXAMPLES
    case.validate_response(response, checks=CHECKS, transport_kwargs={"app": app})
    if response.status_code != 204:
        assert response.headers.get("content-type") == [MEDIA_TYPE]
        validate_document(json.loads(response.content))
