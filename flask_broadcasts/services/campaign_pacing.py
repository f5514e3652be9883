"""Validation of a campaign's pacing attributes: ``expires_at``, ``send_window``, ``deliver_at_local``.

Each invalid value is one problem with a pointer into the request document (a 422), all
of them at once, as the other campaign attributes (:mod:`.campaigns`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from ..scheduling.windows import WindowError, format_local_time, parse_local_time, parse_window
from ._common import pointer

__all__ = ["PACING_ATTRIBUTES", "check_expiry_after_schedule", "clean_pacing"]

#: The writable pacing attributes of a campaign.
PACING_ATTRIBUTES = frozenset({"expires_at", "send_window", "deliver_at_local"})

#: ``add(detail, pointer, code)``: records one problem.
Add = Callable[[str, str, str], None]


def clean_pacing(values: Mapping[str, Any], add: Add) -> dict[str, Any]:
    """Validate the pacing attributes present in ``values``; return them normalized."""
    clean: dict[str, Any] = {}
    if "expires_at" in values:
        at = values["expires_at"]
        if at is not None and (not isinstance(at, datetime) or at.utcoffset() is None):
            add(
                "expires_at must be an ISO 8601 date-time with a UTC offset (e.g. 2026-04-01T18:00:00Z).",
                pointer("expires_at"),
                "naive_datetime",
            )
        else:
            clean["expires_at"] = at
    if "send_window" in values:
        window = values["send_window"]
        if window is None:
            clean["send_window"] = None
        else:
            try:
                clean["send_window"] = parse_window(window).as_json()
            except WindowError as exc:
                where = pointer("send_window", exc.key) if exc.key else pointer("send_window")
                add(str(exc), where, "invalid_send_window")
    if "deliver_at_local" in values:
        local = values["deliver_at_local"]
        if local is None:
            clean["deliver_at_local"] = None
        else:
            try:
                clean["deliver_at_local"] = format_local_time(parse_local_time(local))
            except ValueError as exc:
                add(str(exc), pointer("deliver_at_local"), "invalid_local_time")
    return clean


def check_expiry_after_schedule(scheduled_at: datetime | None, expires_at: datetime | None, add: Add) -> None:
    """A send-by before the campaign's own start would expire every message unsent: refuse it."""
    if scheduled_at is not None and expires_at is not None and expires_at <= scheduled_at:
        add("expires_at must be after scheduled_at.", pointer("expires_at"), "expires_before_start")
