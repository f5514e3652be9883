"""The jsonapi suite's fixtures: the toy JSON:API app (tests/support/toy_jsonapi.py): the JSON:API core needs no host.

They live in ``tests/support/jsonapi_fixtures.py``; this file only selects them for the folder."""

from tests.support.jsonapi_fixtures import (  # noqa: F401  (fixtures, by name)
    _validate_jsonapi_responses,
    app,
    client,
    seed,
)
