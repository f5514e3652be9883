"""Campaign and message statuses as data: enums plus one transitions table each.

Nothing else in the package compares status strings; code asks the enum
(``status.is_editable``) or applies a transition with :func:`transition`, which
raises :class:`IllegalTransition` for a move the table does not allow.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping


class CampaignStatus(str, enum.Enum):
    """Lifecycle of a campaign (``draft → scheduled → pending → in-progress → completed``).

    ``paused`` holds a run (``pending`` or ``in-progress``) without ending it: nothing is
    claimed or sent, the unsent messages stay, and resume returns to where it was.
    """

    DRAFT = "draft"
    SCHEDULED = "scheduled"
    PENDING = "pending"
    IN_PROGRESS = "in-progress"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_editable(self) -> bool:
        """Only a draft may be edited or deleted."""
        return self is CampaignStatus.DRAFT

    @property
    def is_startable(self) -> bool:
        """Only a draft may be started."""
        return self is CampaignStatus.DRAFT

    @property
    def is_running(self) -> bool:
        """A run is queued or sending: the counters are live."""
        return self in (CampaignStatus.PENDING, CampaignStatus.IN_PROGRESS)

    @property
    def is_active(self) -> bool:
        """Anything that stop has to undo (a queued occurrence or a run, paused or not)."""
        return self in (
            CampaignStatus.SCHEDULED,
            CampaignStatus.PENDING,
            CampaignStatus.IN_PROGRESS,
            CampaignStatus.PAUSED,
        )

    @property
    def is_pausable(self) -> bool:
        """A run that is queued or sending may be paused."""
        return self.is_running

    @property
    def is_paused(self) -> bool:
        """The run is held: resume continues it."""
        return self is CampaignStatus.PAUSED


class StatusReason(str, enum.Enum):
    """Why a campaign (or its run) is where it is: ``status_reason``, set and cleared by the engine.

    One vocabulary (see the conventions); ``null`` when there is nothing to say.
    """

    STOPPED = "stopped"
    PAUSED = "paused"
    THROTTLED = "throttled"
    WAITING_FOR_WINDOW = "waiting_for_window"
    DELIVERABILITY_GUARD = "deliverability_guard"
    SOURCE_FAILED = "source_failed"


class MessageStatus(str, enum.Enum):
    """Per-recipient outcome. ``draft`` exists only in previews and is never stored."""

    DRAFT = "draft"
    PENDING = "pending"
    COMPLETED = "completed"
    DELIVERED = "delivered"
    FAILED = "failed"

    @property
    def is_final(self) -> bool:
        """No send or report changes it again: ``delivered``, and ``failed`` (which only an
        operator's ``retry`` of the campaign sends back to ``pending``)."""
        return self in (MessageStatus.DELIVERED, MessageStatus.FAILED)

    @property
    def is_sent(self) -> bool:
        """Handed over to the mail server or SMS provider (what ``sent_count`` counts)."""
        return self in (MessageStatus.COMPLETED, MessageStatus.DELIVERED)


class ChannelStatus(str, enum.Enum):
    """Outcome of one channel of one message (``mail_status``, ``sms_status``).

    Stored ``None`` (shown as ``pending``) means "not attempted yet"; any other value
    means the channel is settled and is never sent again, whatever happens to the rest of
    the message. This is what lets a retried batch skip an e-mail that was already accepted.
    """

    #: Not attempted yet: what the API shows for a channel of the message stored as ``None``.
    PENDING = "pending"
    SENT = "sent"
    REFUSED = "refused"
    #: The worker died or the connection broke between handing the message over and
    #: reading the server's answer: it may or may not have been accepted.
    UNKNOWN = "unknown"
    #: The provider later confirmed delivery (status callback, delivery webhook).
    DELIVERED = "delivered"
    #: The provider later reported it undelivered (an SMS gateway's final failure).
    UNDELIVERED = "undelivered"
    #: A hard bounce of the e-mail: a provider's webhook, bounce mail, or a 5xx at send time
    #: that said the address is bad.
    BOUNCED = "bounced"
    #: Never attempted: the address is on the organization's suppression list for the channel.
    SUPPRESSED = "suppressed"


class ErrorCode(str, enum.Enum):
    """Why a message, or one of its channels, failed: ``error_code`` on messages (``error``
    stays human text). One vocabulary for every channel and feature (docs/api.rst lists it)."""

    #: The recipient can receive none of the template's channels (no address, no number).
    NO_CHANNEL = "no_channel"
    #: The answer was lost after the whole message went out: maybe sent, never resent.
    OUTCOME_UNKNOWN = "outcome_unknown"
    #: The recipient's mobile number is not a valid international (E.164) mobile number.
    INVALID_MOBILE = "invalid_mobile"
    #: The server or gateway refused this recipient for good (SMTP 5xx, an SMS 4xx about it).
    REFUSED = "refused"
    #: Every try met a temporary refusal (4xx) about this recipient.
    TEMPORARY_FAILURE = "temporary_failure"
    #: On the organization's suppression list for the channel.
    SUPPRESSED = "suppressed"
    #: The host's opt-in says no for the channel.
    NO_CONSENT = "no_consent"
    #: Not sent before the campaign's send-by time.
    EXPIRED = "expired"
    #: A hard bounce (the provider's report, bounce mail, or a 5xx about the address at send time).
    BOUNCED = "bounced"
    #: The recipient reported it as spam.
    COMPLAINED = "complained"


class SuppressionReason(str, enum.Enum):
    """Why an address is on an organization's suppression list (``reason`` of ``broadcast-suppressions``)."""

    #: The recipient unsubscribed (the one-click link or its page).
    UNSUBSCRIBED = "unsubscribed"
    #: The provider reported a hard bounce.
    BOUNCED = "bounced"
    #: The recipient reported an e-mail as spam.
    COMPLAINED = "complained"
    #: The recipient answered STOP to an SMS.
    SMS_STOP = "sms_stop"
    #: A user of the organization added it (the only reason the API accepts).
    MANUAL = "manual"


class SuppressionSource(str, enum.Enum):
    """What put an address on the list (``source.kind``; ``source.id`` names it)."""

    #: A message's unsubscribe link (``id``: the message).
    MESSAGE = "message"
    #: A provider's report (bounce, complaint, STOP; ``id``: the provider's reference).
    PROVIDER = "provider"
    #: A user through the API (``id``: ``None``).
    USER = "user"
    #: An import of an earlier list.
    IMPORT = "import"


class ConsentAction(str, enum.Enum):
    """What a ``broadcast-consent-events`` record says happened to an address's consent."""

    #: Taken off sending: an unsubscribe, a provider's bounce or complaint, a manual or imported suppression.
    WITHDRAWN = "withdrawn"
    #: Given again: a user re-subscribed the address (its suppression deleted), or the
    #: recipient texted START, YES or UNSTOP.
    GIVEN = "given"
    #: The recipient texted HELP: recorded only, consent unchanged (the answer is the
    #: provider's, e.g. Twilio's Advanced Opt-Out, or the host's).
    HELP = "help"


class ConsentMethod(str, enum.Enum):
    """How a consent record came about (``method`` of ``broadcast-consent-events``)."""

    #: A mail provider's one-click POST (RFC 8058) on the message's unsubscribe link.
    ONE_CLICK = "one_click"
    #: The button of the unsubscribe page.
    PAGE = "page"
    #: A user of the organization, through the JSON:API (``user_id`` names them).
    API = "api"
    #: ``flask broadcasts suppressions import``.
    IMPORT = "import"
    #: A provider's report (bounce, complaint, Twilio error 21610), or a keyword the
    #: recipient texted (STOP, START, HELP) that a provider passed on.
    PROVIDER = "provider"


class EventType(str, enum.Enum):
    """What happened, in one vocabulary for the Flask signals (:mod:`flask_broadcasts.signals`,
    ``campaign_started`` is ``campaign.started``) and the ``type`` of webhook deliveries.

    Later features add their own (``message.delivered``, ``recipient.unsubscribed`` ...) here.
    """

    CAMPAIGN_STARTED = "campaign.started"
    CAMPAIGN_PAUSED = "campaign.paused"
    CAMPAIGN_RESUMED = "campaign.resumed"
    CAMPAIGN_STOPPED = "campaign.stopped"
    #: A run completed (a recurring campaign goes back to ``scheduled`` after it).
    CAMPAIGN_COMPLETED = "campaign.completed"
    CAMPAIGN_FAILED = "campaign.failed"
    #: A message was handed over (``status`` ``completed``); webhooks get them in batches.
    MESSAGE_SENT = "message.sent"
    MESSAGE_FAILED = "message.failed"
    #: A provider confirmed delivery of a message's e-mail (or SMS).
    MESSAGE_DELIVERED = "message.delivered"
    #: A provider reported a bounce of a message's e-mail (``bounce``: ``hard`` or ``soft``).
    MESSAGE_BOUNCED = "message.bounced"
    #: The recipient reported a message's e-mail as spam.
    MESSAGE_COMPLAINED = "message.complained"
    #: A webhook failed for ``BROADCASTS_WEBHOOK_GIVE_UP_AFTER`` and was deactivated.
    WEBHOOK_DEACTIVATED = "webhook.deactivated"

    @property
    def is_message_event(self) -> bool:
        """One event per message: batched into one webhook delivery per flush."""
        return self in (EventType.MESSAGE_SENT, EventType.MESSAGE_FAILED)


class WebhookDeliveryStatus(str, enum.Enum):
    """Where one webhook delivery is: ``pending`` (waiting for its next attempt), ``delivered``
    (a 2xx answer), ``failed`` (given up after ``BROADCASTS_WEBHOOK_GIVE_UP_AFTER``)."""

    PENDING = "pending"
    DELIVERED = "delivered"
    FAILED = "failed"


#: Campaign statuses in which a run is live (messages may be claimed and sent).
RUNNING_CAMPAIGN_STATUSES: tuple[CampaignStatus, ...] = (CampaignStatus.PENDING, CampaignStatus.IN_PROGRESS)
#: Campaign statuses in which a run is open: running, or paused. Its outcomes still go into the
#: counters, and what a worker had claimed is released, never deleted.
OPEN_RUN_CAMPAIGN_STATUSES: tuple[CampaignStatus, ...] = (*RUNNING_CAMPAIGN_STATUSES, CampaignStatus.PAUSED)
#: Message statuses counted in ``sent_count``.
SENT_MESSAGE_STATUSES: tuple[MessageStatus, ...] = (MessageStatus.COMPLETED, MessageStatus.DELIVERED)


class IllegalTransition(ValueError):
    """A status change the transitions table does not allow."""

    def __init__(self, current: enum.Enum, target: enum.Enum) -> None:
        super().__init__(f"cannot go from {current.value!r} to {target.value!r}")
        self.current = current
        self.target = target


_C = CampaignStatus
#: Campaign status → the statuses it may move to; any other move raises :class:`IllegalTransition`.
CAMPAIGN_TRANSITIONS: Mapping[CampaignStatus, frozenset[CampaignStatus]] = {
    _C.DRAFT: frozenset({_C.PENDING, _C.SCHEDULED}),
    # A fire time arrives (pending), or stop (draft).
    _C.SCHEDULED: frozenset({_C.PENDING, _C.DRAFT}),
    # A recurring run with nobody to send to ends straight back in scheduled.
    _C.PENDING: frozenset({_C.IN_PROGRESS, _C.COMPLETED, _C.FAILED, _C.DRAFT, _C.SCHEDULED, _C.PAUSED}),
    # A recurring campaign goes back to scheduled after each run.
    _C.IN_PROGRESS: frozenset({_C.COMPLETED, _C.FAILED, _C.DRAFT, _C.SCHEDULED, _C.PAUSED}),
    # Resume goes back to the status it was paused from; stop makes it a draft; past its
    # expires_at its last messages expire and the run ends (completed, or scheduled when recurring).
    _C.PAUSED: frozenset({_C.PENDING, _C.IN_PROGRESS, _C.DRAFT, _C.COMPLETED, _C.SCHEDULED}),
    # Stop on a finished campaign makes it a draft again, so it can reach recipients added since;
    # retry reopens its last run (pending) for the messages that failed temporarily.
    _C.COMPLETED: frozenset({_C.DRAFT, _C.SCHEDULED, _C.PENDING}),
    _C.FAILED: frozenset({_C.DRAFT, _C.SCHEDULED}),
}

_M = MessageStatus
#: Message status → the statuses it may move to (``delivered`` is final; ``failed`` only
#: goes back to ``pending`` by the campaign's ``retry``, for a retryable ``error_code``).
MESSAGE_TRANSITIONS: Mapping[MessageStatus, frozenset[MessageStatus]] = {
    _M.DRAFT: frozenset({_M.PENDING}),
    _M.PENDING: frozenset({_M.COMPLETED, _M.FAILED}),
    # A provider's later report: delivered, or bounced/undelivered.
    _M.COMPLETED: frozenset({_M.DELIVERED, _M.FAILED}),
    _M.DELIVERED: frozenset(),
    _M.FAILED: frozenset({_M.PENDING}),
}


_CH = ChannelStatus
#: Provider reports after acceptance; a settled report never changes again.
CHANNEL_TRANSITIONS: Mapping[ChannelStatus, frozenset[ChannelStatus]] = {
    _CH.PENDING: frozenset({_CH.SENT, _CH.REFUSED, _CH.UNKNOWN, _CH.SUPPRESSED}),
    _CH.SENT: frozenset({_CH.DELIVERED, _CH.UNDELIVERED, _CH.BOUNCED}),
    # A refusal at send time that said the address is bad (5.1.1): a hard bounce, told at once.
    _CH.REFUSED: frozenset({_CH.BOUNCED}),
    _CH.UNKNOWN: frozenset(),
    # A hard bounce after a delivery report keeps ``delivered`` (it still suppresses).
    _CH.DELIVERED: frozenset(),
    _CH.UNDELIVERED: frozenset(),
    _CH.BOUNCED: frozenset(),
    _CH.SUPPRESSED: frozenset(),
}


def can_transition(current: enum.Enum, target: enum.Enum) -> bool:
    """Whether ``current → target`` is in the table of its enum."""
    table: Mapping = (
        CAMPAIGN_TRANSITIONS
        if isinstance(current, CampaignStatus)
        else CHANNEL_TRANSITIONS
        if isinstance(current, ChannelStatus)
        else MESSAGE_TRANSITIONS
    )
    return target in table[current]


def transition(
    current: CampaignStatus | MessageStatus, target: CampaignStatus | MessageStatus
) -> CampaignStatus | MessageStatus:
    """Return ``target`` when the move is allowed, else raise :class:`IllegalTransition`."""
    if not can_transition(current, target):
        raise IllegalTransition(current, target)
    return target


def campaign_statuses_from(target: CampaignStatus) -> tuple[CampaignStatus, ...]:
    """Every status that may move to ``target`` (for guarded ``UPDATE ... WHERE status IN``)."""
    return tuple(s for s, targets in CAMPAIGN_TRANSITIONS.items() if target in targets)


def message_statuses_from(target: MessageStatus) -> tuple[MessageStatus, ...]:
    """Every message status that may move to ``target``."""
    return tuple(s for s, targets in MESSAGE_TRANSITIONS.items() if target in targets)


def channel_statuses_from(target: ChannelStatus) -> tuple[ChannelStatus, ...]:
    """Every channel status that may move to ``target``."""
    return tuple(s for s, targets in CHANNEL_TRANSITIONS.items() if target in targets)
