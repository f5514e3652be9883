"""The JSON:API blueprint (provisional: resources arrive with the JSON:API core)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Blueprint, Flask

from ..auth import authenticate_request

if TYPE_CHECKING:
    from ..extension import BroadcastsState


def register_api(app: Flask, state: BroadcastsState) -> None:
    blueprint = Blueprint("broadcasts_api", __name__)
    blueprint.before_request(authenticate_request)
    app.register_blueprint(blueprint, url_prefix=state.settings.url_prefix)
