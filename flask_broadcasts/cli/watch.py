"""``flask broadcasts campaigns watch ID``: a campaign's progress, live, from the Redis progress events.

The watcher subscribes to the organization's event channel (what the websocket relays,
:mod:`flask_broadcasts.events`) *before* it reads the campaign, so no event falls between
the two. Events are not stored and a Redis hiccup drops them, so after ``refresh`` seconds
without one it reads the campaign again; the last line always comes from the database.
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Callable
from typing import Protocol

import click

from ..events import EVENT_UPDATED, channel_name
from ..realtime.events import parse_event
from ..services.operators import find_campaign
from ..state import get_state
from .formatting import CampaignProgress, RateMeter, bar_line, final_line, progress_line

__all__ = ["BarDisplay", "Display", "PlainDisplay", "watch_campaign"]


class Display(Protocol):
    """Where a watcher shows progress: a redrawn bar on a terminal, plain lines elsewhere."""

    def show(self, progress: CampaignProgress, rate: float | None, eta: float | None, now: float) -> None:
        """Show the run's progress at ``now`` (``time.monotonic()``)."""
        ...

    def finish(self, progress: CampaignProgress, elapsed: float) -> None:
        """Show the final counts."""
        ...


class PlainDisplay:
    """One line per change of status, and at most one per ``interval`` seconds while sending
    (a log file or a CI job gets a readable record, not a stream of carriage returns)."""

    def __init__(self, campaign_id: int, *, interval: float = 1.0, echo: Callable[[str], None] = click.echo) -> None:
        self.campaign_id = campaign_id
        self.interval = interval
        self.echo = echo
        self._last: tuple[CampaignProgress, float] | None = None

    def show(self, progress: CampaignProgress, rate: float | None, eta: float | None, now: float) -> None:
        """Print a line if the status changed, or the counts did and ``interval`` has passed."""
        last = self._last
        if last is not None:
            previous, at = last
            same_status = (previous.status, previous.status_reason) == (progress.status, progress.status_reason)
            if same_status and (previous == progress or now - at < self.interval):
                return
        self._last = (progress, now)
        self.echo(progress_line(self.campaign_id, progress, rate, eta))

    def finish(self, progress: CampaignProgress, elapsed: float) -> None:
        """Print the final counts."""
        self.echo(final_line(self.campaign_id, progress, elapsed))


class BarDisplay:
    """One line redrawn in place (``\\r``) on a terminal, as wide as the terminal."""

    def __init__(self, campaign_id: int) -> None:
        self.campaign_id = campaign_id
        self._drawn = ""

    def show(self, progress: CampaignProgress, rate: float | None, eta: float | None, now: float) -> None:
        """Redraw the bar (only when the line changed)."""
        width = shutil.get_terminal_size().columns - 1  # the last column would wrap on some terminals
        line = bar_line(self.campaign_id, progress, rate, eta, width=width)
        if line != self._drawn:
            click.echo("\r" + line.ljust(len(self._drawn)), nl=False)
            self._drawn = line

    def finish(self, progress: CampaignProgress, elapsed: float) -> None:
        """End the bar's line and print the final counts under it."""
        if self._drawn:
            click.echo()
        click.echo(final_line(self.campaign_id, progress, elapsed))


def watch_campaign(
    campaign_id: int, display: Display, *, refresh: float = 2.0, clock: Callable[[], float] = time.monotonic
) -> CampaignProgress:
    """Show campaign ``campaign_id``'s progress until its run is over; its final figures.

    A draft that was never started is waited for (start it from another terminal); a
    paused run is watched through the pause. Over means ``completed``, ``failed`` or
    stopped (:attr:`CampaignProgress.finished`).

    :raises NotFoundError: no such campaign.
    """
    state = get_state()
    organization_id = str(find_campaign(campaign_id).organization_id)
    prefix = state.settings.event_channel_prefix
    pubsub = state.redis.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(channel_name(prefix, organization_id))
    started = clock()
    meter = RateMeter()
    try:
        progress = CampaignProgress.of(find_campaign(campaign_id))
        read_at = clock()
        while True:
            now = clock()
            meter.add(now, progress.done)
            display.show(progress, meter.rate, meter.eta(progress.total - progress.done), now)
            if progress.finished:
                break
            message = pubsub.get_message(timeout=min(refresh, 0.5))
            event = parse_event(message["channel"].decode(), message["data"], prefix) if message else None
            if event is not None and event.name == EVENT_UPDATED and event.concerns_campaign(str(campaign_id)):
                progress = CampaignProgress.from_attributes(json.loads(event.text)["data"]["attributes"])
            elif clock() - read_at >= refresh:
                progress = CampaignProgress.of(find_campaign(campaign_id))
                read_at = clock()
    finally:
        pubsub.close()
    # The database has the last word: a stopped run's counters are reconciled after its event.
    final = CampaignProgress.of(find_campaign(campaign_id))
    display.finish(final, clock() - started)
    return final
