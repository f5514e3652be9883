"""A test double of the engine's job dispatcher (``flask_broadcasts.engine.dispatch.Dispatcher``)."""

from __future__ import annotations


class RecordingDispatcher:
    """Honest double of the job dispatcher: records what would be queued, runs nothing.

    ``queued`` holds ``(kind, campaign_id, run_key)`` with kind ``materialize`` or ``send``;
    ``send_at`` the ``at`` of each send job queued for later (a wake-up), in order.
    """

    def __init__(self) -> None:
        self.queued: list[tuple[str, int, str]] = []
        self.send_at: list = []

    def materialize(self, campaign_id: int, run_key: str) -> None:
        self.queued.append(("materialize", campaign_id, run_key))

    def send(self, campaign_id: int, run_key: str, *, tag: str, at=None) -> None:
        self.queued.append(("send", campaign_id, run_key))
        if at is not None:
            self.send_at.append(at)

    def cancel(self, campaign_id: int) -> int:
        return 0

    def has_waiting_send(self, campaign_id: int, run_key: str) -> bool:
        return False
