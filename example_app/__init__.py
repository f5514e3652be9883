"""A small host product using flask-broadcasts the way a customer would.

``flask --app example_app run`` serves the host's API (``/api/customers``,
``/api/bookings``, ``/api/communities``) next to the extension's
(``/api/broadcast-*``), on one database and one Redis.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask

from . import config as config_module
from .extensions import broadcasts, db, mail, migrate

#: The Flask-Migrate folder, at the top of the repository (next to this package).
MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"


def create_app(config: dict[str, Any] | None = None) -> Flask:
    """Build the app: settings from the environment, overridden by ``config`` (tests)."""
    app = Flask(__name__, instance_relative_config=True)
    os.makedirs(app.instance_path, exist_ok=True)
    app.config.update(config_module.from_environ(app.instance_path))
    app.config.update(config or {})
    app.config["SQLALCHEMY_DATABASE_URI"] = config_module.normalize_database_url(app.config["SQLALCHEMY_DATABASE_URI"])
    app.config.setdefault(
        "SQLALCHEMY_ENGINE_OPTIONS", config_module.engine_options(app.config["SQLALCHEMY_DATABASE_URI"])
    )
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = config_module.secret_key(app.instance_path)
    if not app.config.get("REDIS_URL"):
        # Nobody named a Redis: share this instance's embedded one (web, worker, scheduler).
        from . import embedded_redis

        app.config["REDIS_URL"] = embedded_redis.ensure_running(app.instance_path)

    db.init_app(app)
    with app.app_context():
        config_module.configure_engine(db.engine)
    # Before broadcasts.init_app: the extension wires its revisions into a registered Migrate.
    migrate.init_app(app, db, directory=str(MIGRATIONS_DIR))
    mail.init_app(app)

    from . import (
        models,  # noqa: F401  (mappers registered before anything queries)
        sources,
    )

    sources.register(broadcasts)
    broadcasts.init_app(app)

    from . import cli
    from .api import bp as api_bp

    app.register_blueprint(api_bp, url_prefix="/api")
    cli.register(app)
    return app


__all__ = ["MIGRATIONS_DIR", "broadcasts", "create_app", "db", "mail", "migrate"]
