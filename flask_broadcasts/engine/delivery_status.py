"""Provider reports after hand-over: ``delivered``, or ``failed`` (undelivered, bounced).

:func:`record_delivery_status` is the one entry point: Twilio's status callback calls
it (:mod:`flask_broadcasts.callbacks`), and hosts call it from their own webhooks of
other SMS gateways or of e-mail providers (delivery and bounce notifications).

Rules
-----
- Only a message that was handed over (``completed``) moves, and each channel only
  from ``sent``: a guarded ``UPDATE ... WHERE status IN (predecessors)`` taken from
  the transitions tables, so repeated, late or out-of-order reports are no-ops and
  nothing ever moves backwards (``delivered`` then ``failed`` stays ``delivered``).
- A message with two channels fails only when no other channel of it was accepted
  (``sent`` or ``delivered``): it reached the recipient another way. The failed
  channel is still recorded (``undelivered``).
- Counters: a ``completed`` message that fails moves from ``sent_count`` to
  ``failed_count`` of its campaign in the same transaction, as one atomic
  ``UPDATE ... SET sent_count = sent_count - 1, failed_count = failed_count + 1`` (no
  read-modify-write), and only while the campaign's current run is the message's run
  (the counters describe that run), and in the run's ``broadcast_runs`` row once the
  run has completed (before that, completion recounts). So ``total = sent + failed`` keeps holding. The
  adjustment is a delta: it commutes with the workers' own counter flushes, so it
  is right even when a report arrives before the worker flushed its counts.
- ``delivered`` adds one to ``delivered_count`` (a subset of ``sent_count``, which counts
  completed and delivered), by the same rule.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, or_, select, update

if TYPE_CHECKING:
    # What an UPDATE returns (the ORM Session types it as a plain Result).
    from sqlalchemy import CursorResult

from ..models import BroadcastCampaign, BroadcastMessage, BroadcastRun, BroadcastSentEmail
from ..state import get_state
from ..statuses import ChannelStatus, MessageStatus, channel_statuses_from, message_statuses_from
from .report_counts import Deltas, add_report_counts, hour_key
from .report_counts import moved as move_counts

__all__ = ["CHANNELS", "record_delivery_status"]

#: channel name → the column holding that channel's outcome.
CHANNELS = {"sms": BroadcastMessage.sms_status, "mail": BroadcastMessage.mail_status}
_ACCEPTED = (ChannelStatus.SENT.value, ChannelStatus.DELIVERED.value)


def _find_message(provider_message_id: str, channel: str) -> tuple[int, int, str] | None:
    """``(id, campaign_id, run_key)`` of the message a provider id refers to (the latest one)."""
    session = get_state().session
    columns = (BroadcastMessage.id, BroadcastMessage.campaign_id, BroadcastMessage.run_key)
    found = session.execute(
        select(*columns)
        .where(BroadcastMessage.provider_message_id == provider_message_id)
        .order_by(BroadcastMessage.id.desc())
        .limit(1)
    ).first()
    if found is None and channel == "mail":
        # E-mail providers report by our Message-ID header, with or without its brackets.
        bare = provider_message_id.strip().strip("<>")
        found = session.execute(
            select(*columns)
            .join(BroadcastSentEmail, BroadcastSentEmail.message_id == BroadcastMessage.id)
            .where(BroadcastSentEmail.message_id_header.in_((bare, f"<{bare}>")))
            .order_by(BroadcastMessage.id.desc())
            .limit(1)
        ).first()
    return None if found is None else (found[0], found[1], found[2])


def record_delivery_status(
    provider_message_id: str, status: str | MessageStatus, *, error: str | None = None, channel: str = "sms"
) -> bool:
    """Record a provider's report on a message that was handed over to it.

    Call it inside an app context (a request, a job); it commits its own short
    transaction on the extension's session. ::

        from flask_broadcasts.engine.delivery_status import record_delivery_status

        @app.post("/hooks/my-mail-provider")
        def bounce():
            event = request.get_json()
            record_delivery_status(event["message_id"], "failed", error=event["reason"], channel="mail")
            return "", 204

    :param provider_message_id: the gateway's id of the message (an SMS SID), or for
        ``channel="mail"`` our ``Message-ID`` header (brackets optional).
    :param status: ``"delivered"`` or ``"failed"`` (:class:`~flask_broadcasts.MessageStatus`).
    :param error: why it failed, stored on the message (e.g. ``"twilio 30003: Unreachable"``).
    :param channel: ``"sms"`` or ``"mail"``.
    :returns: ``True`` when the report changed something; ``False`` for an unknown id, a
        repeated report, or one that comes too late to apply (never an error, so a
        webhook can always answer 2xx).
    :raises ValueError: for another status or channel.
    """
    target = MessageStatus(status)
    if target not in (MessageStatus.DELIVERED, MessageStatus.FAILED):
        raise ValueError(f"a delivery report is 'delivered' or 'failed', not {target.value!r}")
    if channel not in CHANNELS:
        raise ValueError(f"unknown channel {channel!r}; use one of {sorted(CHANNELS)}")
    column = CHANNELS[channel]
    others = [col for name, col in CHANNELS.items() if name != channel]
    channel_target = ChannelStatus.DELIVERED if target is MessageStatus.DELIVERED else ChannelStatus.UNDELIVERED
    # Reports only apply to what was handed over (never to a pending message a worker holds).
    message_from = [s.value for s in message_statuses_from(target) if s.is_sent]

    session = get_state().session
    found = _find_message(provider_message_id, channel)
    if found is None:
        return False
    message_id, campaign_id, run_key = found
    try:
        before = session.execute(select(column).where(BroadcastMessage.id == message_id)).scalar()
        moved = cast(
            "CursorResult[Any]",
            session.execute(
                update(BroadcastMessage)
                .where(
                    BroadcastMessage.id == message_id,
                    column.in_([s.value for s in channel_statuses_from(channel_target)]),
                )
                .values({column: channel_target.value})
                .execution_options(synchronize_session=False)
            ),
        ).rowcount
        if not moved:
            session.rollback()
            return False
        # The report's per-channel counts follow the channel (engine.report_counts); written
        # after the campaign's counters below (the order a run's completion locks them in).
        deltas: Deltas = Counter()
        move_counts(deltas, channel, before, channel_target.value)
        if target is MessageStatus.DELIVERED:
            deltas[("", "hour_delivered", hour_key())] += 1
        message_update = update(BroadcastMessage).where(
            BroadcastMessage.id == message_id, BroadcastMessage.status.in_(message_from)
        )
        if target is MessageStatus.FAILED:
            # Still reached the recipient through another accepted channel: stays completed.
            message_update = message_update.where(
                and_(*(or_(other.is_(None), other.not_in(_ACCEPTED)) for other in others))
            ).values(status=target.value, error=error)
        else:
            message_update = message_update.values(status=target.value)
        changed = cast(
            "CursorResult[Any]", session.execute(message_update.execution_options(synchronize_session=False))
        ).rowcount
        if changed and target is MessageStatus.FAILED:
            _move_one_from_sent_to_failed(campaign_id, run_key)
        elif changed:
            _count_one_delivered(campaign_id, run_key)
        add_report_counts(session, campaign_id, run_key, deltas)
        session.commit()
    except Exception:
        session.rollback()
        raise
    return True


def _move_one_from_sent_to_failed(campaign_id: int, run_key: str) -> None:
    get_state().session.execute(
        update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id, BroadcastCampaign.run_key == run_key)
        .values(sent_count=BroadcastCampaign.sent_count - 1, failed_count=BroadcastCampaign.failed_count + 1)
        .execution_options(synchronize_session=False)
    )
    # A completed run holds a copy of its figures; a run still sending recounts them when it completes.
    get_state().session.execute(
        update(BroadcastRun)
        .where(
            BroadcastRun.campaign_id == campaign_id,
            BroadcastRun.run_key == run_key,
            BroadcastRun.completed_at.is_not(None),
        )
        .values(sent_count=BroadcastRun.sent_count - 1, failed_count=BroadcastRun.failed_count + 1)
        .execution_options(synchronize_session=False)
    )


def _count_one_delivered(campaign_id: int, run_key: str) -> None:
    get_state().session.execute(
        update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id, BroadcastCampaign.run_key == run_key)
        .values(delivered_count=BroadcastCampaign.delivered_count + 1)
        .execution_options(synchronize_session=False)
    )
    get_state().session.execute(
        update(BroadcastRun)
        .where(
            BroadcastRun.campaign_id == campaign_id,
            BroadcastRun.run_key == run_key,
            BroadcastRun.completed_at.is_not(None),
        )
        .values(delivered_count=BroadcastRun.delivered_count + 1)
        .execution_options(synchronize_session=False)
    )
