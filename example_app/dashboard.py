"""The campaigns dashboard of the example app: ``/dashboard`` (plain HTML + JS, no build).

Register with ``app.register_blueprint(dashboard_bp)``; open
``/dashboard#o=<organization>&token=<token>``.
"""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, send_from_directory

STATIC = Path(__file__).resolve().parent / "static"

dashboard_bp = Blueprint("dashboard", __name__)


@dashboard_bp.get("/dashboard")
def dashboard() -> Response:
    return send_from_directory(STATIC, "dashboard.html", max_age=0)


@dashboard_bp.get("/dashboard.js")
def dashboard_js() -> Response:
    return send_from_directory(STATIC, "dashboard.js", max_age=0)
