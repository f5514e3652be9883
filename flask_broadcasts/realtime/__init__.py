"""Live progress: the websocket endpoint, its tickets and the per-process Redis fan-out.

See ``docs/realtime.rst`` for the protocol.
"""

from __future__ import annotations

from flask import Blueprint

from .hub import Hub, get_hub
from .mailbox import Mailbox
from .tickets import issue_ticket, redeem_ticket
from .views import create_event_ticket
from .websocket import register_websocket

__all__ = ["Hub", "Mailbox", "get_hub", "issue_ticket", "redeem_ticket", "register_realtime"]


def register_realtime(blueprint: Blueprint) -> None:
    """Add the websocket and (provisionally) the ticket endpoint to the plain blueprint."""
    register_websocket(blueprint)
    blueprint.add_url_rule(
        "/broadcast-event-tickets", "broadcast_event_tickets", create_event_ticket, methods=["POST"]
    )
