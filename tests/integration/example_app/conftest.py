"""The example_app suite's fixtures: the example app on the suite's migrated database, and its tenants.

They live in ``tests/support/example_fixtures.py``; this file only selects them for the folder."""

from tests.support.example_fixtures import (  # noqa: F401  (fixtures, by name)
    app,
    client,
    database_uri,
    mail_server,
    make_tenant,
    migrated_database,
    other_tenant,
    run_queue,
    tenant,
)
