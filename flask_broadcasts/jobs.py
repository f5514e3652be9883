"""Deprecated alias of :mod:`flask_broadcasts.background.jobs` (its home since 0.2), kept for one release.

Jobs already queued in Redis name their function by this path, and deployments start
workers with it: it stays quiet (no deprecation warning)."""

from __future__ import annotations

from .background.jobs import (  # noqa: F401
    fire_campaign,
    materialize_run,
    recover,
    send_batch,
    worker_id,
)
