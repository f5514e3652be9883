"""Delivery channels: e-mail over SMTP (configured like Flask-Mail) and SMS providers,
behind one :class:`~flask_broadcasts.channels.base.Channel` protocol and one outcome vocabulary."""

from __future__ import annotations

from .base import Channel, ChannelError, Outcome, OutcomeUnknown, Refused, RetryLater, Sent

__all__ = ["Channel", "ChannelError", "Outcome", "OutcomeUnknown", "Refused", "RetryLater", "Sent"]
