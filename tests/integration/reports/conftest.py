"""The reports suite runs on the example app (tests/support/example_fixtures.py)."""

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
