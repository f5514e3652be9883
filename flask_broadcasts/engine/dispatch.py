"""The protocol services use to hand work to background jobs (RQ in :mod:`flask_broadcasts.background.queues`)."""

from __future__ import annotations

from datetime import datetime
from typing import Protocol


class Dispatcher(Protocol):
    """Queues background work for the services.

    The default is :class:`~flask_broadcasts.background.queues.RQDispatcher`; a test may assign
    another object with these methods to ``BroadcastsState.dispatcher``.
    """

    def materialize(self, campaign_id: int, run_key: str) -> None:
        """Queue the materialization of a run."""

    def send(self, campaign_id: int, run_key: str, *, tag: str, at: datetime | None = None) -> None:
        """Queue a send job for a run (``tag`` makes its id unique and recognizable).

        ``at``: not before then (the first deferred message of the run is due).
        """

    def cancel(self, campaign_id: int) -> int:
        """Cancel the queued jobs of a campaign; return how many."""

    def has_waiting_send(self, campaign_id: int, run_key: str) -> bool:
        """Whether a send job of the run is queued or waiting for a retry (not started)."""
