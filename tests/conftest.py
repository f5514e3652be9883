"""Fixtures every suite may use: the migrated scratch databases (tests/support/database.py)."""

pytest_plugins = ["tests.support.database"]
