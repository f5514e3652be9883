"""Flask signals (blinker, as Flask's own): what happened to campaigns and messages, for the host.

One signal per :class:`~flask_broadcasts.statuses.EventType` (the vocabulary webhook
deliveries share): ``campaign_started`` is the signal named ``campaign.started``. A
signal is sent in the process where the thing happened, usually a worker (the web
process for the start, pause, resume and stop actions), with the app as sender and ids
and small values as keyword arguments, never an ORM object::

    from flask_broadcasts import signals

    @signals.campaign_completed.connect
    def bill(app, organization_id, campaign_id, **data):
        tasks.bill_campaign.delay(organization_id, campaign_id)

Campaign signals are sent once the status change is committed; ``message_sent`` and
``message_failed`` once the message's outcome is recorded; ``message_delivered``,
``message_bounced`` and ``message_complained`` once a provider's report is applied
(``flask_broadcasts.feedback``). A receiver that raises is
logged (``flask_broadcasts.signals``) and the others still run: a host's bug never
breaks sending. With no receiver connected, :func:`send` costs one attribute check.
"""

from __future__ import annotations

import logging
from typing import Any

from blinker import NamedSignal, Namespace

from .statuses import EventType

__all__ = [
    "campaign_completed",
    "campaign_failed",
    "campaign_paused",
    "campaign_resumed",
    "campaign_started",
    "campaign_stopped",
    "message_bounced",
    "message_complained",
    "message_delivered",
    "message_failed",
    "message_sent",
    "send",
    "signal_for",
    "webhook_deactivated",
]

log = logging.getLogger(__name__)

#: The extension's own namespace (signal names are the event types).
namespace = Namespace()

campaign_started = namespace.signal(EventType.CAMPAIGN_STARTED.value, doc="A run started (``pending``).")
campaign_paused = namespace.signal(EventType.CAMPAIGN_PAUSED.value, doc="A run was paused.")
campaign_resumed = namespace.signal(EventType.CAMPAIGN_RESUMED.value, doc="A paused run was resumed.")
campaign_stopped = namespace.signal(EventType.CAMPAIGN_STOPPED.value, doc="A campaign was stopped (a draft again).")
campaign_completed = namespace.signal(EventType.CAMPAIGN_COMPLETED.value, doc="A run completed.")
campaign_failed = namespace.signal(EventType.CAMPAIGN_FAILED.value, doc="A run failed (its source could not be read).")
message_sent = namespace.signal(EventType.MESSAGE_SENT.value, doc="A message was handed over.")
message_failed = namespace.signal(EventType.MESSAGE_FAILED.value, doc="A message failed.")
message_delivered = namespace.signal(EventType.MESSAGE_DELIVERED.value, doc="A provider confirmed delivery.")
message_bounced = namespace.signal(
    EventType.MESSAGE_BOUNCED.value, doc="A provider reported a bounce (``bounce``: ``hard`` or ``soft``)."
)
message_complained = namespace.signal(EventType.MESSAGE_COMPLAINED.value, doc="The recipient reported spam.")
webhook_deactivated = namespace.signal(
    EventType.WEBHOOK_DEACTIVATED.value, doc="A webhook was deactivated after failing too long."
)

_BY_TYPE: dict[EventType, NamedSignal] = {event: namespace.signal(event.value) for event in EventType}


def signal_for(event: EventType) -> NamedSignal:
    """The signal of ``event``."""
    return _BY_TYPE[event]


def send(signal: NamedSignal, sender: Any, **data: Any) -> None:
    """Send ``signal`` to every receiver; one that raises is logged, and the rest still run."""
    if not signal.receivers:  # the common case: nobody listens (one dict truth test)
        return
    for receiver in signal.receivers_for(sender):
        try:
            receiver(sender, **data)
        except Exception:
            log.exception("a receiver of the %s signal raised; ignored", signal.name)
