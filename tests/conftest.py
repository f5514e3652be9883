"""Fixtures every suite uses: the migrated scratch databases (tests/support/database.py), the
real services (tests/support/fixtures.py: Redis, SMTP on loopback; a suite's own conftest
overrides them), and the JSON:API check of every response.

The folders say what a test needs: ``unit/`` nothing but Python, ``integration/`` a real
database, Redis or loopback server in this process, ``e2e/`` (and ``browser/``) real worker,
scheduler or web processes. Tests of the last kind are marked ``e2e`` here, so
``pytest -m "not e2e and not faults"`` runs the fast part alone."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from tests.support import route_builders
from tests.support.jsonapi_validation import enable_jsonapi_validation

pytest_plugins = ["tests.support.database", "tests.support.fixtures"]


def pytest_configure(config: pytest.Config) -> None:
    # The suite builds hundreds of apps of the same routes: compile their URL builders once.
    route_builders.install()


@pytest.fixture(autouse=True)
def _every_jsonapi_response_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every ``application/vnd.api+json`` response any test reads through a Flask test
    client (errors included) is validated against the official JSON:API schema.

    Suites that own a URL prefix enable the stricter form themselves (any other content
    type under their prefix fails); here no prefix is claimed, so file downloads and the
    OpenAPI document pass through untouched.
    """
    enable_jsonapi_validation(monkeypatch)


@pytest.fixture(autouse=True)
def _package_loggers_enabled() -> None:
    """The extension's loggers on, whatever an earlier test ran in this process.

    Flask-Migrate's ``env.py`` (``flask db upgrade``, ``flask_migrate.check()`` run in the
    test process) calls ``fileConfig``, which disables every logger it does not name; a test
    asserting a warning then failed or passed by the order of the tests before it
    (tests/support/logging_state.py restores the rest where the suite migrates)."""
    for name, logger in logging.root.manager.loggerDict.items():
        if name.startswith("flask_broadcasts") and isinstance(logger, logging.Logger):
            logger.disabled = False


_HERE = Path(__file__).resolve().parent
_PROCESS_FOLDERS = (_HERE / "e2e", _HERE / "browser")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if any(item.path.is_relative_to(folder) for folder in _PROCESS_FOLDERS):
            item.add_marker(pytest.mark.e2e)
