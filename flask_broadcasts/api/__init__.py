"""The JSON:API blueprint(s) of the extension, served through one scoped flask-smorest ``Api``."""

from __future__ import annotations

from typing import TYPE_CHECKING

from flask import Flask

from ..jsonapi import JsonApiBlueprint, ScopedApi

if TYPE_CHECKING:
    from ..state import BroadcastsState


def resource_blueprints() -> list[JsonApiBlueprint]:
    """Every resource blueprint, in the order they appear in the OpenAPI document."""
    from . import (
        audiences,
        campaigns,
        consent_events,
        event_tickets,
        files,
        messages,
        reports,
        suppressions,
        templates,
        test_sends,
        webhooks,
    )

    blueprints: list[JsonApiBlueprint] = []
    blueprints += [
        templates.blueprint,
        files.blueprint,
        audiences.blueprint,
        campaigns.blueprint,
        reports.blueprint,
        messages.blueprint,
        test_sends.blueprint,
        suppressions.blueprint,
        consent_events.blueprint,
        event_tickets.blueprint,
        webhooks.blueprint,
    ]
    return blueprints


def register_api(app: Flask, state: BroadcastsState) -> ScopedApi:
    """Create the extension's ``Api`` on ``app`` and register every resource under the URL prefix."""
    api = ScopedApi(app, config_prefix="BROADCASTS_")
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer"})
    api.spec.options["security"] = [{"bearer": []}]
    for blueprint in resource_blueprints():
        api.register_blueprint(blueprint, url_prefix=state.settings.url_prefix)
    return api
