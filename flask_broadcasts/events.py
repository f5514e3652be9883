"""Progress events: ``broadcast-campaigns.updated`` on the organization's Redis channel.

Published on every status change and each time a campaign's ``sent + failed`` crosses a
multiple of ``BROADCASTS_EVENT_EVERY``; the websocket layer relays them to clients.
An event is built from the row an ``UPDATE ... RETURNING`` gave back: no extra read.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Protocol

from .resources import campaign_resource

if TYPE_CHECKING:
    from redis import Redis

log = logging.getLogger(__name__)

#: The ``event`` member of every progress event.
EVENT_UPDATED = "broadcast-campaigns.updated"


def campaign_event(row: Any) -> dict[str, Any]:
    """The event document for a campaign row."""
    return {"event": EVENT_UPDATED, "data": campaign_resource(row)}


def channel_name(prefix: str, organization_id: str) -> str:
    """The Redis pub/sub channel of an organization's events: ``<prefix><organization id>``."""
    return f"{prefix}{organization_id}"


def crossed(before: int, after: int, every: int) -> bool:
    """Whether going from ``before`` to ``after`` passes a multiple of ``every``."""
    return every > 0 and after // every > before // every


class ProgressPublisher(Protocol):
    """Where campaign updates go."""

    def publish(self, organization_id: str, event: dict[str, Any]) -> None:
        """Deliver ``event`` (a JSON-serializable dict) to the clients of ``organization_id``.

        It should not raise: a lost event must never fail a send (the counters stay
        right in the database, and clients re-read them).
        """
        ...


class RedisProgressPublisher:
    """Publishes to ``<prefix><organization id>`` (``broadcasts:org:42``).

    A Redis outage never fails a send: the event is logged and dropped (the counters
    in the database stay right, and clients re-read them on reconnect).
    """

    def __init__(self, connection: Callable[[], Redis], channel_prefix: str) -> None:
        #: Asked for the connection at each publish: after a fork the state hands out a new one.
        self.connection = connection
        self.channel_prefix = channel_prefix

    def channel(self, organization_id: str) -> str:
        """The Redis pub/sub channel of an organization."""
        return channel_name(self.channel_prefix, organization_id)

    def publish(self, organization_id: str, event: dict[str, Any]) -> None:
        """Publish ``event`` as compact JSON on the organization's channel; log Redis errors."""
        from redis.exceptions import RedisError

        try:
            self.connection().publish(self.channel(organization_id), json.dumps(event, separators=(",", ":")))
        except RedisError:
            log.warning("could not publish %s for organization %s", event.get("event"), organization_id, exc_info=True)


class RecordingPublisher:
    """Test double: keeps events in memory (honestly not a publisher to anyone)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, dict[str, Any]]] = []

    def publish(self, organization_id: str, event: dict[str, Any]) -> None:
        """Append ``(organization_id, event)`` to ``events``."""
        self.events.append((organization_id, event))


def publish_campaign(publisher: ProgressPublisher, row: Any) -> None:
    """Publish the update event of a campaign row to its organization."""
    publisher.publish(str(row.organization_id), campaign_event(row))
