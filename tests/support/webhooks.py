"""Test doubles and helpers of the outbound webhooks."""

from __future__ import annotations

from datetime import datetime


class RecordingWebhookQueue:
    """Honest double of ``flask_broadcasts.webhooks.queue.WebhookQueue``: records what would be
    queued (``(delivery_id, at)``), runs nothing; the test runs the attempts itself."""

    def __init__(self) -> None:
        self.queued: list[tuple[int, datetime | None]] = []

    def deliver(self, delivery_id: int, *, at: datetime | None = None) -> None:
        self.queued.append((delivery_id, at))

    def take(self) -> list[int]:
        """The ids queued since the last call."""
        ids = [delivery_id for delivery_id, _ in self.queued]
        self.queued.clear()
        return ids


#: Settings that let the webhooks reach a receiver on loopback over plain http, fast.
LOOPBACK_WEBHOOKS = {
    "BROADCASTS_WEBHOOK_ALLOW_HTTP": True,
    "BROADCASTS_WEBHOOK_ALLOWED_NETWORKS": ["127.0.0.0/8"],
    "BROADCASTS_WEBHOOK_RETRY_INTERVALS": [0.2],
    "BROADCASTS_WEBHOOK_TIMEOUT": 0.5,
}
