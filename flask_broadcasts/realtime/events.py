"""What the hub reads from a published event: whose it is, which campaign, how to coalesce it.

The sending engine publishes ``{"event": "broadcast-campaigns.updated", "data": <resource
object>}`` on ``<BROADCASTS_EVENT_CHANNEL_PREFIX><organization_id>``. The text is forwarded
to sockets byte for byte; it is parsed once, here, only to route and coalesce it.
"""

from __future__ import annotations

import json
from collections.abc import Hashable
from dataclasses import dataclass

CAMPAIGN_TYPE = "broadcast-campaigns"


@dataclass(frozen=True)
class Event:
    """One published event, ready to route."""

    organization_id: str
    name: str
    resource_type: str | None
    resource_id: str | None
    text: str

    @property
    def coalesce_key(self) -> Hashable | None:
        """Events with the same key supersede each other (same name, same resource)."""
        if self.resource_type is None or self.resource_id is None:
            return None
        return (self.name, self.resource_type, self.resource_id)

    def concerns_campaign(self, campaign_id: str) -> bool:
        """Whether this event is about the campaign ``campaign_id``."""
        return self.resource_type == CAMPAIGN_TYPE and self.resource_id == campaign_id


def parse_event(channel: str, payload: bytes | str, prefix: str) -> Event | None:
    """The :class:`Event` published as ``payload`` on ``channel``, or ``None`` if it is not one."""
    if not channel.startswith(prefix) or len(channel) == len(prefix):
        return None
    try:
        text = payload.decode("utf-8") if isinstance(payload, bytes) else payload
        document = json.loads(text)
    except (UnicodeDecodeError, ValueError):
        return None
    if not isinstance(document, dict) or not isinstance(document.get("event"), str):
        return None
    data = document.get("data")
    resource_type = resource_id = None
    if isinstance(data, dict):
        resource_type = data.get("type") if isinstance(data.get("type"), str) else None
        resource_id = str(data["id"]) if isinstance(data.get("id"), (str, int)) else None
    return Event(channel[len(prefix) :], document["event"], resource_type, resource_id, text)
