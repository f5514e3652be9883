"""A tiny host app for the realtime tests: the extension with stub auth hooks.

Runnable on its own, so tests can start it as separate OS processes::

    BROADCASTS_REDIS_URL=redis://127.0.0.1:6379/9 flask --app tests.support.realtime_host run
    gunicorn -k gthread --threads 8 'tests.support.realtime_host:create_app()'

Tokens: ``alice-token`` (member of organizations 1 and 3), ``bob-token`` (member of 2).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from flask import Flask
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts


@dataclass(frozen=True)
class User:
    id: int
    organizations: frozenset[str] = field(default_factory=frozenset)


USERS = {
    "alice-token": User(1, frozenset({"1", "3"})),
    "bob-token": User(2, frozenset({"2"})),
}


def create_app(redis_url: str | None = None, channel_prefix: str | None = None, **config: object) -> Flask:
    app = Flask(__name__)
    app.config.update(
        # Nothing here queries: the auth hooks are in memory and events come from Redis.
        SQLALCHEMY_DATABASE_URI="sqlite://",
        BROADCASTS_REDIS_URL=redis_url or os.environ["BROADCASTS_REDIS_URL"],
        BROADCASTS_EVENT_CHANNEL_PREFIX=channel_prefix
        or os.environ.get("BROADCASTS_EVENT_CHANNEL_PREFIX", "broadcasts:org:"),
        BROADCASTS_OPENAPI_URL_PREFIX=None,
    )
    app.config.update(config)
    db = SQLAlchemy(app)
    broadcasts = Broadcasts(app, db=db)

    @broadcasts.token_loader
    def load_user(token: str) -> User | None:
        return USERS.get(token)

    @broadcasts.organization_access
    def is_member(user: User, organization_id: str) -> bool:
        return organization_id in user.organizations

    return app
