"""Deprecated alias of :mod:`flask_broadcasts.engine.dispatch` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..engine.dispatch import (  # noqa: F401
    Dispatcher,
)

warnings.warn(
    "flask_broadcasts.services.dispatch is deprecated; import flask_broadcasts.engine.dispatch",
    DeprecationWarning,
    stacklevel=2,
)
