"""``/broadcast-event-tickets``: single-use tickets that open the websocket from a browser.

Browsers cannot set ``Authorization`` on a websocket. A page creates a ticket here (a
JSON:API create, authenticated like every resource of the blueprint) and opens
``/broadcast-events?o=<organization>&ticket=<id>`` with it within
``BROADCASTS_WS_TICKET_TTL`` seconds. The ticket *is* the resource id; nothing about it
can be chosen by the client, so the request document is just its type::

    POST /api/broadcast-event-tickets?o=1
    Content-Type: application/vnd.api+json

    {"data": {"type": "broadcast-event-tickets"}}

The tickets themselves (random, stored hashed in Redis, redeemed once) are
:mod:`flask_broadcasts.realtime.tickets`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask.views import MethodView
from marshmallow_jsonapi import fields
from redis.exceptions import RedisError
from werkzeug.exceptions import ServiceUnavailable

from ..auth import current_tenant
from ..jsonapi import Payload, ResourceSchema, render_resource
from ..realtime.tickets import issue_ticket, principal_id
from .base import resource_blueprint

__all__ = ["EventTicketSchema", "blueprint"]


@dataclass(frozen=True)
class EventTicket:
    """What the view renders: the ticket (its id) and when it expires."""

    id: str
    expires_at: datetime


class EventTicketSchema(ResourceSchema):
    """A websocket ticket on the wire (type ``broadcast-event-tickets``); every member is read-only."""

    error_messages = {"unknown": "Unknown or read-only attribute."}

    id = fields.Str(dump_only=True)
    # apispec cannot describe a strftime format: the pattern says it (RFC 3339 UTC, to the second).
    expires_at = fields.DateTime(
        dump_only=True, format="%Y-%m-%dT%H:%M:%SZ", metadata={"pattern": r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$"}
    )

    class Meta:
        type_ = "broadcast-event-tickets"


blueprint = resource_blueprint(
    "broadcast_event_tickets", __name__, description="Single-use tickets for the live events websocket"
)


@blueprint.route("/broadcast-event-tickets")
class EventTickets(MethodView):
    """``/broadcast-event-tickets``: one-time tickets for the events websocket."""

    @blueprint.jsonapi_create(EventTicketSchema)
    def post(self, payload: Payload) -> Any:
        """Create a websocket ticket

        The id is the ticket: pass it as ``ticket`` to ``/broadcast-events?o=`` (same
        organization) before ``expires_at``. It opens one socket, once.
        """
        tenant = current_tenant()
        try:
            ticket, expires_at = issue_ticket(principal_id(tenant.principal), tenant.organization_id)
        except RedisError as error:  # tickets live in Redis
            raise ServiceUnavailable("Tickets are unavailable; retry shortly.", retry_after=5) from error
        response = render_resource(EventTicket(ticket, expires_at), EventTicketSchema, status=201)
        response.headers["Cache-Control"] = "no-store"  # a credential, if short-lived
        return response
