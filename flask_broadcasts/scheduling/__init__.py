"""Scheduling of recurring campaigns: cron expressions and time zones.

Pure domain code: standard library and croniter only.
"""

from __future__ import annotations

from .cron import next_fire_time, validate_cron, validate_timezone

__all__ = ["next_fire_time", "validate_cron", "validate_timezone"]
