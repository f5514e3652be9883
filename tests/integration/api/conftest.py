"""The api suite's fixtures: the small host (tests/support/host.py) on a migrated scratch database,
and JSON:API clients of two organizations.

They live in ``tests/support/host_fixtures.py``; this file only selects them for the folder."""

from tests.support.host_fixtures import (  # noqa: F401  (fixtures, by name)
    _validate_jsonapi,
    api,
    api_b,
    app,
    database_uri,
    renamed_host,
    session,
)
