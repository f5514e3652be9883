"""Deprecated alias of :mod:`flask_broadcasts.engine.delivery_status` (its home since 0.2), kept for one release."""

from __future__ import annotations

import warnings

from ..engine.delivery_status import (  # noqa: F401
    record_delivery_status,
)

warnings.warn(
    "flask_broadcasts.services.delivery_status is deprecated; import flask_broadcasts.engine.delivery_status",
    DeprecationWarning,
    stacklevel=2,
)
