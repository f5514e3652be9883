"""Deprecated alias of :mod:`flask_broadcasts.background.queues` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from .background.queues import (  # noqa: F401
    RQDispatcher,
    campaign_jobs_key,
    get_queue,
    job_id,
    run_slug,
)

warnings.warn(
    "flask_broadcasts.queues is deprecated; import flask_broadcasts.background.queues", DeprecationWarning, stacklevel=2
)
