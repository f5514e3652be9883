"""Deprecated alias of :mod:`flask_broadcasts.engine.timers` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..engine.timers import (  # noqa: F401
    FireTimers,
    MemoryFireTimers,
)

warnings.warn(
    "flask_broadcasts.scheduling.timers is deprecated; import flask_broadcasts.engine.timers",
    DeprecationWarning,
    stacklevel=2,
)

from ..background.timers import FIRE_JOB, RQFireTimers, fire_job_id  # noqa: E402, F401
