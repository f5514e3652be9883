"""Deprecated alias of :mod:`flask_broadcasts.background.scheduler` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..background.scheduler import (  # noqa: F401
    RECOVERY_JOB,
    make_scheduler,
    recovery_job_id,
    register_recovery,
    run_scheduler,
)

warnings.warn(
    "flask_broadcasts.scheduling.runner is deprecated; import flask_broadcasts.background.scheduler",
    DeprecationWarning,
    stacklevel=2,
)
