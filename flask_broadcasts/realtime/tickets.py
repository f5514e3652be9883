"""Short-lived, single-use tickets: how a browser authenticates its websocket.

Browsers cannot set ``Authorization`` on a websocket, and a token in the URL ends up in
access logs. So the page first ``POST`` s (with its Bearer token) for a ticket, then opens
``...?o=<org>&ticket=<ticket>`` within ``BROADCASTS_WS_TICKET_TTL`` seconds. A ticket

* is 256 random bits, stored in Redis only as its SHA-256 (a Redis dump holds nothing usable);
* is bound to the organization it was issued for (checked with the host's hooks at issue);
* is redeemed with ``GETDEL``: atomic, so it opens at most one socket, on any web process.

Redemption trusts the ticket: it was issued moments ago to an authenticated member, and
the host's principal object need not be reloadable from an id. The principal's id
(``principal.id`` if it has one) is kept for logging only.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from ..state import get_state

KEY_PREFIX = "broadcasts:ws-ticket:"


def _key(ticket: str) -> str:
    return KEY_PREFIX + hashlib.sha256(ticket.encode("utf-8")).hexdigest()


def principal_id(principal: Any) -> str | None:
    """The id of a host principal, as text (``None`` if it has none)."""
    value = getattr(principal, "id", None)
    return None if value is None else str(value)


def issue_ticket(principal_id: str | None, organization_id: str) -> tuple[str, datetime]:
    """Issue a ticket for ``organization_id``; the caller has authenticated the principal.

    :returns: the ticket and when it expires (UTC).
    """
    settings = get_state().settings
    ttl = int(settings.ws_ticket_ttl)
    ticket = secrets.token_urlsafe(32)
    value = json.dumps({"principal_id": principal_id, "organization_id": organization_id})
    get_state().redis.set(_key(ticket), value, ex=ttl)
    return ticket, datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=ttl)


def redeem_ticket(ticket: str) -> tuple[str | None, str] | None:
    """Use up ``ticket``: ``(principal_id, organization_id)``, or ``None`` if unknown,
    expired or already used."""
    if not ticket or len(ticket) > 128:
        return None
    raw = get_state().redis.getdel(_key(ticket))
    if raw is None:
        return None
    value = json.loads(raw)
    return value["principal_id"], value["organization_id"]
