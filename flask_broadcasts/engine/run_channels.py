"""The channels of one lane of a run, and what the lane reads once about the run.

A lane (:mod:`.lanes`) keeps one :class:`RunChannels` from batch to batch: its SMTP
connection is reused, its campaign's rules are read once, and it carries the lane's
figures that the send job's lane count follows (:mod:`.lane_scaling`).
"""

from __future__ import annotations

from datetime import UTC, datetime
from threading import BoundedSemaphore, Event
from typing import Any

from flask import current_app
from sqlalchemy import select

from ..channels.base import Bounded, Channel
from ..channels.mail import MailChannel
from ..channels.sms import SmsChannel, status_callback_url
from ..channels.smtp import MailSettings
from ..state import BroadcastsState
from .bounces import verp_senders
from .pacing import Pacer
from .provider_wait import ProviderWait
from .run_mime import mime_builder
from .tables import campaigns
from .tracking import batch_tracking
from .unsubscribe import batch_links, sms_link
from .windows import RunTiming

__all__ = ["RunChannels"]


class RunChannels:
    """The channels of one connection of a run, each opened when a message first needs it.

    Kept from batch to batch by a lane (:mod:`.lanes`), so its SMTP connection is reused;
    ``sms_slots`` bounds the SMS requests in flight across the lanes of a send job.
    """

    def __init__(
        self,
        state: BroadcastsState,
        campaign_id: int,
        run_key: str,
        *,
        sms_slots: BoundedSemaphore | None = None,
        retire: Event | None = None,
    ) -> None:
        self.state = state
        self.campaign_id = campaign_id
        self.run_key = run_key
        self.sms_slots = sms_slots
        self.open: dict[str, Channel] = {}
        #: Waits for each hand-over's slot under the rate limits (:mod:`.pacing`).
        self.pacer = Pacer(state)
        self._rules: tuple[datetime | None, RunTiming] | None = None
        self._tracking: dict[str, bool] = {"opens": False, "clicks": False}
        #: Messages this lane's batches handed to their channels: the send job's rate (:mod:`.lane_scaling`).
        self.handed_over = 0
        #: How long they waited for their providers' answers: the send job's lane count (:mod:`.lane_scaling`).
        self.waits = ProviderWait()
        #: Set when the send job needs fewer lanes: the batch gives the rest of its claim back.
        self.retire = retire or Event()

    def _read_rules(self) -> tuple[datetime | None, RunTiming]:
        # Read once per lane: only a draft campaign can be edited.
        if self._rules is None:
            row = self.state.session.execute(select(campaigns).where(campaigns.c.id == self.campaign_id)).one()
            self.state.session.rollback()
            expires_at = row.expires_at
            if expires_at is not None and expires_at.tzinfo is None:  # SQLite
                expires_at = expires_at.replace(tzinfo=UTC)
            self._rules = (expires_at, RunTiming.of(row, self.state.settings))
            self._tracking = {"opens": bool(row.track_opens), "clicks": bool(row.track_clicks)}
        return self._rules

    @property
    def expires_at(self) -> datetime | None:
        """The campaign's send-by (:mod:`.expiry`)."""
        return self._read_rules()[0]

    @property
    def timing(self) -> RunTiming:
        """The run's quiet hours and local delivery time (:mod:`.windows`)."""
        return self._read_rules()[1]

    def _tracking_for(self) -> Any:
        """The campaign's open and click tracking of its e-mails (:mod:`.tracking`)."""
        self._read_rules()
        return batch_tracking(self.state.settings, **self._tracking)

    def get(self, name: str) -> Channel:
        """The channel ``name`` (``mail`` or ``sms``), opened at its first use and kept."""
        channel = self.open.get(name)
        if channel is None:
            channel = self.open[name] = self._make(name)
        return channel

    def _make(self, name: str) -> Channel:
        state = self.state
        if name == "mail":
            ttl = state.settings.claim_ttl
            builder = mime_builder(state.session, self.campaign_id, self.run_key)
            # Its reads leave no transaction open while the batch is sent: on PostgreSQL a
            # lane records on a connection of its own, so this one would be held idle
            # throughout, and 8 lanes x 2 exhausted the default pool of 15 (one waited 30 s).
            state.session.rollback()
            return MailChannel(
                builder,
                MailSettings.from_app(current_app),
                timeout=min(state.settings.smtp_timeout, ttl / 3),
                unsubscribe=batch_links(state.settings),
                signer=state.dkim_signer,
                envelope_for=verp_senders(state.settings),
                tracking_for=self._tracking_for(),
            )
        provider = state.sms_provider
        channel = SmsChannel(
            provider, status_callback=status_callback_url(state, provider), unsubscribe_url_for=sms_link(state.settings)
        )
        return channel if self.sms_slots is None else Bounded(channel, self.sms_slots)

    def close(self) -> None:
        """Close every channel opened (an SMTP connection ends with QUIT); the next use opens it again."""
        for channel in self.open.values():
            channel.close()
        self.open.clear()
