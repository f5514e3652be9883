"""flask_broadcasts.blueprints: where the extension's routes are mounted.

A host relies on: the plain blueprint (websocket, provider callbacks, unsubscribe and
tracking links) under ``BROADCASTS_EVENTS_URL_PREFIX`` when set, else beside the JSON:API
under ``BROADCASTS_URL_PREFIX``; a fresh plain blueprint per app, so two apps in one process
do not share routes or hooks. Apps of the small host on an in-memory SQLite URL, never queried.
"""

from __future__ import annotations

from flask import Flask

from flask_broadcasts.blueprints import make_plain_blueprint
from tests.support.host import make_app


def _plain_rules(app: Flask) -> dict[str, str]:
    """Endpoint → URL rule of the plain blueprint's routes."""
    return {
        rule.endpoint.removeprefix("broadcasts_plain."): rule.rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("broadcasts_plain.")
    }


def test_the_plain_routes_sit_beside_the_api_by_default():
    rules = _plain_rules(make_app(BROADCASTS_URL_PREFIX="/v2"))
    assert rules["unsubscribe"] == "/v2/broadcast-unsubscribe/<token>"
    assert rules["track_open"] == "/v2/broadcast-t/o/<token>.gif"
    assert rules["twilio_status_callback"] == "/v2/broadcast-callbacks/twilio"
    assert rules["ses_feedback_callback"] == "/v2/broadcast-callbacks/ses"


def test_the_events_prefix_moves_the_plain_routes_and_leaves_the_api_where_it_is():
    app = make_app(BROADCASTS_URL_PREFIX="/v2", BROADCASTS_EVENTS_URL_PREFIX="/hooks")
    rules = _plain_rules(app)
    assert rules["unsubscribe"] == "/hooks/broadcast-unsubscribe/<token>"
    assert rules["download_broadcast_file"] == "/hooks/broadcast-files/<id>/content"
    assert all(rule.startswith("/hooks/") for rule in rules.values())
    api_rules = [rule.rule for rule in app.url_map.iter_rules() if "broadcast-campaigns" in rule.rule]
    assert api_rules and all(rule.startswith("/v2/") for rule in api_rules)


def test_each_app_gets_a_plain_blueprint_of_its_own():
    first, second = make_plain_blueprint(), make_plain_blueprint()
    assert first is not second
    app_a, app_b = make_app(), make_app(BROADCASTS_EVENTS_URL_PREFIX="/elsewhere")
    assert _plain_rules(app_a)["unsubscribe"].startswith("/api/")
    assert _plain_rules(app_b)["unsubscribe"].startswith("/elsewhere/")
