"""Deprecated alias of :mod:`flask_broadcasts.background.worker` (its home since 0.2), kept for one release.

Jobs already queued in Redis name their function by this path, and deployments start
workers with it: it stays quiet (no deprecation warning)."""

from __future__ import annotations

from .background.worker import (  # noqa: F401
    WARM_STOP_SIGNAL,
    BroadcastsWorker,
    build_worker,
    load_app,
    start_periodic_scheduler,
    warm_stop_requested,
)
