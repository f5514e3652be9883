"""When each message of a run may go out: its quiet-hours window and local delivery time.

Each recipient's zone is, in order: the mixin's ``broadcast_timezone``; for a message with
SMS, the zone of the number's region when it has only one (``phonenumbers``: +1 415 is
Los Angeles, +33 is Paris; +1 alone would not do); the campaign's ``timezone``. The
window is the campaign's ``send_window``, else — for a message with SMS —
``BROADCASTS_SMS_DEFAULT_WINDOW`` (08:00–21:00 unless the host says otherwise).

A message outside its window is stored ``pending`` with ``retry_at`` at its opening (the
API shows it as ``meta.not_before``): the claim passes it over until then, like a
deferred message, and the run's send job is queued for the earliest one
(:func:`~.deferral.next_deferred_at`). A message claimed after its window closed again (a
long throttle, a slow run) goes back to wait for the next opening without a try.
``deliver_at_local`` moves each message to the next such wall-clock time in its zone.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import phonenumbers
from phonenumbers import timezone as number_zones

from ..scheduling.cron import validate_timezone
from ..scheduling.windows import SendWindow, next_local_time, parse_local_time, parse_window

__all__ = ["RunTiming", "sms_default_window", "zone_of_number"]

#: A message due within this much of the run's start is not held back (no wake-up needed).
_SLACK = timedelta(seconds=1)


def sms_default_window(value: Any) -> SendWindow | None:
    """``BROADCASTS_SMS_DEFAULT_WINDOW`` as a window: ``None``, ``(start, end)`` or a mapping."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return parse_window(value)
    start, end = value
    return parse_window({"start": start, "end": end})


@functools.lru_cache(maxsize=4096)
def zone_of_number(mobile: str | None) -> str | None:
    """The one IANA zone of an E.164 number's region, or ``None`` (unknown, or several)."""
    if not mobile:
        return None
    try:
        zones = number_zones.time_zones_for_number(phonenumbers.parse(mobile))
    except phonenumbers.NumberParseException:
        return None
    return zones[0] if len(zones) == 1 and zones[0] != "Etc/Unknown" else None


@functools.lru_cache(maxsize=1024)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def _valid_zone(name: str | None) -> str | None:
    if not name:
        return None
    try:
        return validate_timezone(str(name))
    except ValueError:
        return None


@dataclass(frozen=True)
class RunTiming:
    """The timing rules of one run: its window(s), local delivery time and default zone."""

    window: SendWindow | None
    sms_window: SendWindow | None
    deliver_at: Any
    campaign_zone: str

    @classmethod
    def of(cls, campaign: Any, settings: Any) -> RunTiming:
        """The rules of a campaign row (``send_window``, ``deliver_at_local``, ``timezone``)."""
        window = parse_window(campaign.send_window) if campaign.send_window else None
        local = parse_local_time(campaign.deliver_at_local) if campaign.deliver_at_local else None
        return cls(window, sms_default_window(settings.sms_default_window), local, campaign.timezone or "UTC")

    @property
    def active(self) -> bool:
        """Whether any message of the run may have to wait."""
        return self.window is not None or self.sms_window is not None or self.deliver_at is not None

    def window_for(self, channels: Any) -> SendWindow | None:
        """The window a message with ``channels`` keeps: the campaign's, else SMS's default."""
        if self.window is not None:
            return self.window
        return self.sms_window if "sms" in (channels or ()) else None

    def zone_for(self, recipient_zone: str | None, channels: Any, mobile: str | None) -> str:
        """The zone a message is timed in (see the module docstring)."""
        zone = _valid_zone(recipient_zone)
        if zone is None and "sms" in (channels or ()):
            zone = zone_of_number(mobile)
        return zone or self.campaign_zone

    def values(self, row: Mapping[str, Any], recipient_zone: str | None, now: datetime) -> dict[str, Any]:
        """``time_zone`` and ``retry_at`` (its not-before, when later than ``now``) of a message being stored."""
        if not self.active:
            return {}
        if row.get("status") != "pending":  # every row of a chunk has the same keys (COPY)
            return {"time_zone": None, "retry_at": None}
        channels = row.get("channels")
        zone_name = self.zone_for(recipient_zone, channels, row.get("mobile"))
        zone = _zone(zone_name)
        due = now
        if self.deliver_at is not None:
            due = next_local_time(self.deliver_at, now, zone)
        window = self.window_for(channels)
        if window is not None:
            due = window.next_open(due, zone)
        return {"time_zone": zone_name, "retry_at": due if due - now > _SLACK else None}

    def reopens_at(self, message: Any, now: datetime) -> datetime | None:
        """A claimed message outside its window: when it opens next (``None``: it may go now)."""
        window = self.window_for(message.channels)
        if window is None or message.time_zone is None:
            return None
        zone = _zone(message.time_zone)
        return None if window.is_open(now, zone) else window.next_open(now, zone)
