"""The protocol the webhooks use to hand deliveries to background jobs (RQ in
:mod:`flask_broadcasts.background.queues`, on ``BROADCASTS_WEBHOOK_QUEUE``)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol

__all__ = ["WebhookQueue"]


class WebhookQueue(Protocol):
    """Queues delivery attempts; a test may assign another object with this method to
    ``BroadcastsState.webhook_queue``."""

    def deliver(self, delivery_id: int, *, at: datetime | None = None) -> None:
        """Queue an attempt of delivery ``delivery_id`` now, or at ``at``."""
