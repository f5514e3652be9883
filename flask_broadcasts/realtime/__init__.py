"""Live progress: the websocket endpoint, its tickets and the per-process Redis fan-out.

See ``docs/realtime.rst`` for the protocol.
"""

from __future__ import annotations

from flask import Blueprint

from .hub import Hub, get_hub
from .mailbox import Mailbox
from .tickets import issue_ticket, redeem_ticket
from .websocket import register_websocket

__all__ = ["Hub", "Mailbox", "get_hub", "issue_ticket", "redeem_ticket", "register_realtime"]


def register_realtime(blueprint: Blueprint) -> None:
    """Add the websocket to the plain blueprint.

    Its tickets are a JSON:API resource (:mod:`flask_broadcasts.api.event_tickets`).
    """
    register_websocket(blueprint)
