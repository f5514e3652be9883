"""The two blueprints: the JSON:API one (auth, ``?o=``, media type) and a plain one.

The plain blueprint carries what authenticates its own way: the websocket, provider
callbacks and file downloads. Keeping them apart also keeps the websocket out of the
OpenAPI document.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from .extension import BroadcastsState


def register_blueprints(app: Flask, state: BroadcastsState) -> None:
    from .api import register_api

    register_api(app, state)
    plain = Blueprint("broadcasts_plain", __name__)
    from .api.files import register_file_routes

    register_file_routes(plain)
    prefix = state.settings.events_url_prefix or state.settings.url_prefix
    app.register_blueprint(plain, url_prefix=prefix)
