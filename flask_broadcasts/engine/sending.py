"""Send one batch of a run: claim, hand each message to its channels, record each outcome.

Exactly once, as built:

* **Claim.** Up to ``BROADCASTS_BATCH_SIZE`` pending, unclaimed messages of the run
  are claimed in one ``UPDATE ... WHERE id IN (SELECT ... ORDER BY id LIMIT n FOR
  UPDATE SKIP LOCKED)`` (SQLite, a single writer, needs no lock clause), with a
  lease of ``BROADCASTS_CLAIM_TTL`` that the worker renews every third of it.
* **Record before the next send.** After each message (all its channels), its outcome
  is recorded (:mod:`.outcomes`: one round trip on PostgreSQL) before the next message is
  handed over; counters and the progress event are set-based.
* **Pause and stop halt at once.** The record's answer says whether the campaign still
  runs; if not, the next message is not handed over (:class:`~.outcomes.CampaignHalted`)
  and the unsent rest of the claim is released (pause) or deleted (stop).
* **A dead worker** therefore leaves at most one message in doubt per claim: the
  lowest-id pending message of each expired claim. :func:`expire_claims` marks it
  ``failed`` with ``outcome_unknown`` (never resent) and releases the rest. A send job
  holds one claim per connection (:mod:`.lanes`), so that is one per connection in flight.
* **Failures**, in the channels' one vocabulary (:mod:`flask_broadcasts.channels.base`):
  :class:`~flask_broadcasts.channels.base.Refused` (5xx, an invalid number) → that
  channel of that message fails alone, with the server's answer;
  :class:`~flask_broadcasts.channels.base.Deferred` (4xx about the recipient) → that
  message alone waits and is tried again later (:mod:`.deferral`), the batch goes on;
  :class:`~flask_broadcasts.channels.base.RetryLater` (server down, 421, 4xx before the
  recipient, a connection lost before the message was complete) → the unsent rest of the
  claim is released and the error propagates, so the job is retried with backoff;
  :class:`~flask_broadcasts.channels.base.OutcomeUnknown` (the answer was lost after
  the whole message went out) → that channel is ``unknown``, the message is never resent.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from ..channels.base import Deferred, OutcomeUnknown, RetryLater, Sent
from ..models import utcnow
from ..services.message_texts import with_texts
from ..state import BroadcastsState, get_state
from ..statuses import ChannelStatus, ErrorCode, MessageStatus
from .bounces import bounced_at_send
from .claims import OUTCOME_UNKNOWN, claim, expire_claims, new_claim_token, release, renew
from .completion import complete_run_if_done
from .deferral import next_deferred_at
from .expiry import expire_run
from .outcomes import BatchResult, CampaignHalted, OutcomeRecorder
from .pacing import Throttled, clear_backoff, message_cost, throttle
from .run_channels import RunChannels
from .runs import reconcile_stopped_run
from .suppression import suppress_opted_out
from .tables import messages
from .throttling import clear_waiting_reasons, mark_waiting_for_window
from .windows import RunTiming

__all__ = ["BatchResult", "send_batch"]

log = logging.getLogger(__name__)

#: A message's channels in the order they are handed over (e-mail first, as the record expects).
_CHANNEL_ORDER = ("mail", "sms")


def send_batch(
    campaign_id: int,
    run_key: str,
    worker_id: str,
    *,
    channels: RunChannels | None = None,
    lanes: int = 1,
    claim_size: int | None = None,
) -> BatchResult:
    """Claim and send one batch of the run; complete the run when nothing is left.

    ``channels``: a lane's, kept open after the batch (else the batch opens and closes its
    own). ``lanes``: how many batches the send job sends at once (:mod:`.lanes`); this one
    claims ``claim_size`` messages (default: its share of ``BROADCASTS_BATCH_SIZE``) and
    updates the counters as often as its share of one connection's rate.

    :raises RetryLater: a provider is down or deferred us; the unsent rest of the claim
        was released (retry the job later).
    :raises OutcomeUnknown: a message's answer was lost (it is recorded as such); the
        rest of the claim was released.
    """
    state = get_state()
    session, settings = state.session, state.settings
    expire_claims(session, campaign_id=campaign_id, run_key=run_key)
    owned = channels is None
    channels = channels or RunChannels(state, campaign_id, run_key)
    expires_at = channels.expires_at
    if expires_at is not None and utcnow() >= expires_at:
        expire_run(session, campaign_id, run_key, state.publisher)
        if owned:
            channels.close()
        return BatchResult(completed=True)
    token = new_claim_token(worker_id)
    ttl = settings.claim_ttl
    # 2,000 messages in claims of 500 would keep only four connections busy.
    share = claim_size or -(-settings.batch_size // lanes)
    # Compact messages get their texts from the run's content (services.message_texts).
    batch = with_texts(session, campaign_id, run_key, claim(session, campaign_id, run_key, token, share, ttl, utcnow()))
    if not batch:
        if owned:
            channels.close()
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        if completed is None:
            _send_when_deferred_are_due(state, campaign_id, run_key, waiting_for_window=channels.timing.active)
        return BatchResult(completed=completed is not None)
    recorder = OutcomeRecorder(session, campaign_id, run_key, token, lanes=lanes)
    # The one place that ends the reads' transaction (the claim, the suppression check, the
    # run's content, the recorder's webhooks) before sending. Left open for the batch, it
    # holds a pooled connection beside the recording one, and its snapshot keeps every
    # message row a claim or a record replaced from counting as dead, so each claim's index
    # scan visits thousands of them (measured: 9,400 buffers per claim).
    session.commit()
    try:
        recorder.result.claimed = len(batch)
        timing = channels.timing
        expired = retired = False
        renew_at = time.monotonic() + ttl / 3

        def keep_alive() -> None:  # the pacer sleeps: keep the claim
            nonlocal renew_at
            if time.monotonic() >= renew_at:
                if not renew(session, token, ttl):
                    log.warning("claim %s was lost while waiting for a slot", token)
                renew_at = time.monotonic() + ttl / 3

        channels.pacer.keep_alive = keep_alive
        try:
            try:
                for index, message in enumerate(batch):
                    if recorder.halted is not None:
                        break
                    if channels.retire.is_set():  # the other lanes send the rest (module lane_scaling)
                        retired = True
                        break
                    if expires_at is not None and utcnow() >= expires_at:
                        expired = True  # the rest of the claim goes back, and expires below
                        break
                    if time.monotonic() >= renew_at:
                        if not renew(session, token, ttl):
                            log.warning("claim %s was taken over; stopping this batch", token)
                            recorder.flush()
                            return recorder.result
                        renew_at = time.monotonic() + ttl / 3
                    if timing.active and _outside_window(session, message, timing, token):
                        continue
                    following = batch[index + 1] if index + 1 < len(batch) else None
                    try:
                        _send_message(session, message, following, channels, recorder)
                    except CampaignHalted:
                        break
                    channels.handed_over += 1
            finally:
                if owned:
                    channels.close()
        except BaseException:
            session.rollback()
            recorder.flush()
            recorder.result.released = release(session, token, delete_them=False)
            raise
        recorder.flush()
        if recorder.result.sent:
            _provider_took_messages(state, campaign_id, channels)
        if recorder.halted is not None:
            stopped = recorder.stopped
            recorder.result.stopped, recorder.result.paused = stopped, not stopped
            recorder.result.released = release(session, token, delete_them=stopped)
            if stopped:
                # The stop counted the run's messages when it committed; outcomes recorded
                # since (at most one per connection) go into its figures now.
                reconcile_stopped_run(session, campaign_id, run_key, state.publisher)
            return recorder.result
        if retired:
            recorder.result.retired = True
            recorder.result.released = release(session, token, delete_them=False)
            return recorder.result
        if expired:
            recorder.result.released = release(session, token, delete_them=False)
            expire_run(session, campaign_id, run_key, state.publisher)
            recorder.result.completed = True
            return recorder.result
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        recorder.result.completed = completed is not None
        return recorder.result
    finally:
        recorder.close()


def _provider_took_messages(state: BroadcastsState, campaign_id: int, channels: RunChannels) -> None:
    """A batch went out: the back-off of its channels starts over, and the campaign is no longer throttled."""
    for name in channels.open:
        clear_backoff(state, name)
    clear_waiting_reasons(state, campaign_id)


def _outside_window(session: Session, message: Any, timing: RunTiming, token: str) -> bool:
    """A claimed message whose window closed since it was stored goes back to wait for the next opening.

    No try is charged: nothing was handed over.
    """
    reopens = timing.reopens_at(message, utcnow())
    if reopens is None:
        return False
    session.execute(
        update(messages)
        .where(messages.c.id == message.id, messages.c.claimed_by == token)
        .values(retry_at=reopens, claimed_by=None, claim_expires_at=None)
    )
    session.commit()
    return True


def _send_when_deferred_are_due(
    state: BroadcastsState, campaign_id: int, run_key: str, *, waiting_for_window: bool = False
) -> None:
    """Nothing is claimable but deferred messages wait: queue a send job for when the first is due.

    One job per due second (its id says which), so the workers that find the run empty
    together queue it once; the recovery sweep queues one too if that job is lost.
    ``waiting_for_window``: the run has quiet hours or a local delivery time; when no
    worker holds any of its messages either, the campaign says ``waiting_for_window``.
    """
    session = state.session
    at = next_deferred_at(session, campaign_id, run_key)
    if at is None:
        return
    state.dispatcher.send(campaign_id, run_key, tag=f"deferred{int(at.timestamp())}", at=at)
    if waiting_for_window:
        held = session.execute(
            select(
                exists().where(
                    messages.c.campaign_id == campaign_id,
                    messages.c.run_key == run_key,
                    messages.c.status == MessageStatus.PENDING.value,
                    messages.c.claimed_by.is_not(None),
                )
            )
        ).scalar()
        session.rollback()
        if not held:
            mark_waiting_for_window(state, campaign_id)


def _send_message(
    session: Session, message: Any, following: Any | None, channels: RunChannels, recorder: OutcomeRecorder
) -> None:
    """Hand one message to each of its channels not settled yet, then record its outcome.

    The message is sent (``completed``) once any channel accepted it, now or on an earlier
    try; it fails when every channel refused it. A channel deferred (a temporary answer
    about the recipient) sends the message back to wait for its next try, while it has one.
    """
    values: dict[str, Any] = {}
    errors: list[str] = []
    codes: list[str] = []
    deferred: list[str] = []
    bounced: str | None = None
    delivered = False
    tries = (message.tries or 0) + 1
    for name in _CHANNEL_ORDER:
        if name not in (message.channels or []):
            continue
        settled = getattr(message, f"{name}_status")
        if settled is not None:  # a retried batch never sends a settled channel again
            delivered = delivered or settled == ChannelStatus.SENT.value
            continue
        try:
            channels.pacer.wait(name, message.organization_id, message_cost(name, message))
            outcome = channels.waits.deliver(
                channels.get(name), message, before_handover=recorder.before_handover, following=following
            )
        except OutcomeUnknown:
            status = MessageStatus.COMPLETED if delivered else MessageStatus.FAILED
            unknown = {f"{name}_status": ChannelStatus.UNKNOWN.value}
            recorder.record(
                message.id, status, error=OUTCOME_UNKNOWN, error_code=OUTCOME_UNKNOWN, tries=tries, **unknown, **values
            )
            raise
        except (RetryLater, Throttled, CampaignHalted) as exc:
            if values:  # an earlier channel went out: keep that, retry the rest later
                session.execute(update(messages).where(messages.c.id == message.id).values(**values))
                session.commit()
            if isinstance(exc, RetryLater) and not isinstance(
                exc, Throttled
            ):  # the provider's problem: pause it for every worker
                raise Throttled(name, throttle(channels.state, name, exc.after)) from exc
            raise
        if isinstance(outcome, Sent):
            values[f"{name}_status"] = ChannelStatus.SENT.value
            delivered = True
            if outcome.provider_message_id is not None:
                values["provider_message_id"] = outcome.provider_message_id
            if outcome.message_id is not None:
                recorder.sent_email(
                    organization_id=message.organization_id,
                    message_id=message.id,
                    message_id_header=outcome.message_id,
                    sender=outcome.sender,
                    recipient=outcome.recipient,
                    subject=message.subject,
                    sent_at=utcnow(),
                    response=outcome.answer[:500],
                )
        elif isinstance(outcome, Deferred):
            deferred.append(name)
            errors.append(f"{name}: {outcome.detail}")
        elif outcome.code == ErrorCode.SUPPRESSED.value:  # opted out of the sender (Twilio 21610)
            values[f"{name}_status"] = ChannelStatus.SUPPRESSED.value
            errors.append(f"{name}: {outcome.detail}")
            codes.append(outcome.code)
            suppress_opted_out(session, recorder.campaign_id, recorder.run_key, message, name, outcome.detail)
        else:
            values[f"{name}_status"] = ChannelStatus.REFUSED.value
            errors.append(f"{name}: {outcome.detail}")
            codes.append(outcome.code)
            if name == "mail" and outcome.code == ErrorCode.BOUNCED.value:
                bounced = outcome.detail
    error = "; ".join(errors)[:2000] or None
    if deferred:
        retry_at = recorder.retry_policy.next_try_at(tries)
        if retry_at is not None:
            recorder.defer(message.id, tries=tries, retry_at=retry_at, error=error, **values)
            return
        # Out of tries: the deferred channels fail; a refusal for good, if any, names the failure.
        values.update({f"{name}_status": ChannelStatus.REFUSED.value for name in deferred})
        codes.append(ErrorCode.TEMPORARY_FAILURE.value)
    status = MessageStatus.COMPLETED if delivered else MessageStatus.FAILED
    # The first refusal's code names the failure (e-mail first, as the channels are tried).
    error_code = codes[0] if codes else None
    recorder.record(message.id, status, error=error, error_code=error_code, tries=tries, **values)
    if bounced is not None:
        recorder.settle()  # the record is committed: the bounce moves its refusal on
        bounced_at_send(message.id, bounced)
