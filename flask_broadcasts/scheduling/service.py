"""Deprecated alias of :mod:`flask_broadcasts.engine.schedule` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..engine.schedule import (  # noqa: F401
    after_run_completed,
    cancel_timer,
    fire,
    first_fire_time_of,
    next_run_after,
    recent_runs,
    reschedule,
    schedule_start,
)

warnings.warn(
    "flask_broadcasts.scheduling.service is deprecated; import flask_broadcasts.engine.schedule",
    DeprecationWarning,
    stacklevel=2,
)

from ..engine.schedule_recovery import RecoveryReport, recover_schedules  # noqa: E402, F401
