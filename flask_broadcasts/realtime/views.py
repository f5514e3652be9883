"""The ticket endpoint, ``POST {prefix}/broadcast-event-tickets?o=``, and JSON:API refusals.

Provisional home: the view moves onto the JSON:API blueprint once its core exists; the
service functions it calls (:mod:`.tickets`) stay as they are.
"""

from __future__ import annotations

import json
from typing import Any

from flask import Response, request
from werkzeug.exceptions import HTTPException

from ..auth import authenticate, bearer_token
from .tickets import issue_ticket, principal_id

JSONAPI = "application/vnd.api+json"
TICKET_TYPE = "broadcast-event-tickets"


def jsonapi_response(document: dict[str, Any], status: int) -> Response:
    return Response(json.dumps(document), status=status, content_type=JSONAPI)


def error_response(error: HTTPException) -> Response:
    """A JSON:API error document for ``error`` (401s also carry ``WWW-Authenticate``)."""
    item: dict[str, Any] = {"status": str(error.code), "title": error.name, "detail": error.description}
    parameter = getattr(error, "parameter", None)
    if parameter:
        item["source"] = {"parameter": parameter}
    response = jsonapi_response({"errors": [item]}, error.code or 500)
    if error.code == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="broadcasts"'
    return response


def create_event_ticket() -> Response:
    """Issue a websocket ticket to the Bearer-authenticated member of ``?o=``."""
    try:
        tenant = authenticate(bearer_token(), request.args.get("o"))
    except HTTPException as error:
        return error_response(error)
    ticket, expires_at = issue_ticket(principal_id(tenant.principal), tenant.organization_id)
    document = {
        "data": {
            "type": TICKET_TYPE,
            "id": ticket,
            "attributes": {"expires_at": expires_at.isoformat().replace("+00:00", "Z")},
        }
    }
    response = jsonapi_response(document, 201)
    response.headers["Cache-Control"] = "no-store"
    return response
