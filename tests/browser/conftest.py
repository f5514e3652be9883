"""The browser suite's fixtures: the example product as real processes, and a Chromium.

They live in ``tests/support/browser.py``; this file only selects them for the folder."""

from tests.support.browser import (  # noqa: F401  (fixtures, by name)
    app,
    browser,
    database_uri,
    migrated_database,
    redis_url,
    stack,
    stack_env,
)
