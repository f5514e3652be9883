"""The two blueprints: the JSON:API one (auth, ``?o=``, media type) and a plain one; the optional dashboard.

The plain blueprint carries what authenticates its own way: the websocket, provider
callbacks, file downloads and the signed unsubscribe links. Keeping them apart also keeps the websocket out of the
OpenAPI document. The dashboard (``BROADCASTS_DASHBOARD_URL_PREFIX``) is a third, only
registered when that setting is set. Each feature adds its routes to the plain blueprint through a
``register_*(blueprint)`` function, called from :func:`make_plain_blueprint`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask

if TYPE_CHECKING:
    from .state import BroadcastsState


def make_plain_blueprint() -> Blueprint:
    """A fresh plain blueprint (one per app: features add hooks to it)."""
    from .api.files import register_file_routes
    from .callbacks import register_callbacks
    from .feedback_callbacks import register_feedback_callbacks
    from .realtime import register_realtime
    from .tracking import register_tracking
    from .unsubscribe import register_unsubscribe

    # Its templates (the unsubscribe page) come after the host's: a host overrides them.
    plain = Blueprint("broadcasts_plain", __name__, template_folder="templates")
    register_realtime(plain)
    register_file_routes(plain)
    register_callbacks(plain)
    register_feedback_callbacks(plain)
    register_unsubscribe(plain)
    register_tracking(plain)
    return plain


def register_blueprints(app: Flask, state: BroadcastsState) -> None:
    """Register the JSON:API and the plain blueprint (events) on ``app`` (from ``init_app``)."""
    from .api import register_api

    register_api(app, state)
    prefix = state.settings.events_url_prefix or state.settings.url_prefix
    app.register_blueprint(make_plain_blueprint(), url_prefix=prefix)
    if state.settings.dashboard_url_prefix:
        from .dashboard import make_dashboard_blueprint

        app.register_blueprint(make_dashboard_blueprint(), url_prefix=state.settings.dashboard_url_prefix)
