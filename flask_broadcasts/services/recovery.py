"""Deprecated alias of :mod:`flask_broadcasts.engine.recovery` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..engine.recovery import (  # noqa: F401
    RecoveryReport,
    fill_missing_sent_emails,
    recover,
)

warnings.warn(
    "flask_broadcasts.services.recovery is deprecated; import flask_broadcasts.engine.recovery",
    DeprecationWarning,
    stacklevel=2,
)
