"""The small host (``tests/support/host.py``) in a worker, scheduler or web process.

Worker and web subprocesses load it with ``FLASK_APP=tests.support.hostapp:create_app``
(``gunicorn -k gthread 'tests.support.hostapp:create_app()'`` for the fault suite's web
process; tokens ``token-org-1`` and ``token-org-2``, each a member of one organization); the
configuration comes from the environment (``DATABASE_URL``, ``REDIS_URL``, ``MAIL_PORT``,
``BCAST_TEST_CONFIG`` — a JSON object of extra config keys). The sending suites' in-process
app (``tests/support/fixtures.py``) is built here too, from the same environment, so the test
and its processes run one configuration.
"""

from __future__ import annotations

import json
import os
from typing import Any

from flask import Flask

from .host import Booking, Community, Customer, community_members, db, make_app

__all__ = ["TOKENS", "Booking", "Community", "Customer", "community_members", "create_app", "db"]

#: Bearer token → the one organization it is a member of (the web processes of the fault suite).
TOKENS = {"token-org-1": "org-1", "token-org-2": "org-2"}

#: What the sending suites set beside the host's defaults.
SENDING_SETTINGS: dict[str, Any] = {
    # Unhandled errors answer as in production (a 500 document), not raised into the test.
    "TESTING": False,
    "MAIL_SERVER": "127.0.0.1",
    "MAIL_DEFAULT_SENDER": ("Acme News", "news@acme.test"),
    "MAIL_SUPPRESS_SEND": False,
    "SECRET_KEY": "hostapp-secret",
    "BROADCASTS_BATCH_SIZE": 50,
    "BROADCASTS_INSERT_CHUNK": 100,
    "BROADCASTS_RETRY_INTERVALS": (1,),
    "BROADCASTS_RETRY_MAX": 5,
    # SMS at any hour: the sending tests are not about quiet hours (tests/integration/pacing is,
    # and sets its own); with the 08:00-21:00 default they would pass or fail by the hour.
    "BROADCASTS_SMS_DEFAULT_WINDOW": None,
}


def create_app(config: dict[str, Any] | None = None) -> Flask:
    settings: dict[str, Any] = {
        **SENDING_SETTINGS,
        "REDIS_URL": os.environ.get("REDIS_URL"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
    }
    if os.environ.get("SQLALCHEMY_ENGINE_OPTIONS"):
        settings["SQLALCHEMY_ENGINE_OPTIONS"] = json.loads(os.environ["SQLALCHEMY_ENGINE_OPTIONS"])
    settings.update(json.loads(os.environ.get("BCAST_TEST_CONFIG") or "{}"))
    settings.update(config or {})
    database_uri = os.environ.get("DATABASE_URL") or "sqlite:///" + os.environ["BCAST_TEST_SQLITE"]
    app = make_app(database_uri, name="hostapp", **settings)  # the name the signal tests read
    if app.config.get("TEST_SIGNAL_LOG"):
        from .signal_log import connect

        connect(app.config["TEST_SIGNAL_LOG"])
    return app
