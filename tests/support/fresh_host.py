"""A host with no migrations of its own yet, as docs/migrations.rst starts one.

``flask --app tests.support.fresh_host db ...`` subprocesses drive it; the environment says
where and what:

* ``DATABASE_URL``: its database;
* ``FRESH_HOST_MIGRATIONS``: its migrations directory (``flask db init`` makes it);
* ``FRESH_HOST_SCHEMA=2``: a later version of the host, with a ``members`` table more;
* ``FRESH_HOST_EXTRA_VERSIONS``: a folder of revisions a newer release of the extension
  would ship beside its own (an installed package's folder, outside the host's directory).
"""

from __future__ import annotations

import os

import sqlalchemy as sa
from flask import Flask
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy

from flask_broadcasts import Broadcasts

db = SQLAlchemy()
migrate = Migrate()
broadcasts = Broadcasts(db=db)


class Studio(db.Model):
    __tablename__ = "studios"
    id = sa.Column(sa.Integer, primary_key=True)
    name = sa.Column(sa.String(100), nullable=False)


if os.environ.get("FRESH_HOST_SCHEMA") == "2":

    class Member(db.Model):
        __tablename__ = "members"
        id = sa.Column(sa.Integer, primary_key=True)
        studio_id = sa.Column(sa.ForeignKey("studios.id"), nullable=False)
        email = sa.Column(sa.String(320))


def _add_extra_versions(config):  # noqa: ANN001, ANN202
    """What the extension's own callback does with its folder, for the simulated release's."""
    separator = os.pathsep
    config.set_main_option("path_separator", "os")
    locations = config.get_version_locations_list() or [
        os.path.join(config.get_main_option("script_location"), "versions")
    ]
    locations.append(os.environ["FRESH_HOST_EXTRA_VERSIONS"])
    config.set_main_option("version_locations", separator.join(locations))
    return config


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["SQLALCHEMY_DATABASE_URI"] = os.environ["DATABASE_URL"]
    db.init_app(app)
    migrate.init_app(app, db, directory=os.environ["FRESH_HOST_MIGRATIONS"])
    if os.environ.get("FRESH_HOST_EXTRA_VERSIONS"):
        # Before the extension's: its callback then sees every folder there is.
        migrate.configure_callbacks.append(_add_extra_versions)
    broadcasts.init_app(app)
    return app
