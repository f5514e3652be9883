"""The small host (``tests/support/host.py``) as the realtime suites run it: no database
queries (the auth hooks are in memory, events come from Redis), settings from arguments or
the environment.

Runnable on its own, so tests can start it as separate OS processes::

    BROADCASTS_REDIS_URL=redis://127.0.0.1:6379/9 flask --app tests.support.realtime_host run
    gunicorn -k gthread --threads 8 'tests.support.realtime_host:create_app()'

Tokens: ``alice-token`` (member of organizations 1 and 3), ``bob-token`` (member of 2).
"""

from __future__ import annotations

import os

from flask import Flask

from .host import make_app


def create_app(redis_url: str | None = None, channel_prefix: str | None = None, **config: object) -> Flask:
    settings: dict[str, object] = {
        # Unhandled errors answer as in production, not raised into the server thread.
        "TESTING": False,
        "BROADCASTS_REDIS_URL": redis_url or os.environ["BROADCASTS_REDIS_URL"],
        "BROADCASTS_EVENT_CHANNEL_PREFIX": channel_prefix
        or os.environ.get("BROADCASTS_EVENT_CHANNEL_PREFIX", "broadcasts:org:"),
        "BROADCASTS_OPENAPI_URL_PREFIX": None,
    }
    return make_app("sqlite://", **{**settings, **config})
