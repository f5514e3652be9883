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
from threading import BoundedSemaphore
from typing import Any

from flask import current_app
from sqlalchemy import update
from sqlalchemy.orm import Session

from ..channels.base import Bounded, Channel, Deferred, OutcomeUnknown, RetryLater, Sent
from ..channels.mail import MailChannel
from ..channels.sms import SmsChannel, status_callback_url
from ..channels.smtp import MailSettings
from ..models import utcnow
from ..state import BroadcastsState, get_state
from ..statuses import ChannelStatus, ErrorCode, MessageStatus
from .claims import OUTCOME_UNKNOWN, claim, expire_claims, new_claim_token, release, renew
from .completion import complete_run_if_done
from .deferral import next_deferred_at
from .outcomes import BatchResult, CampaignHalted, OutcomeRecorder
from .run_mime import mime_builder
from .runs import reconcile_stopped_run
from .tables import messages
from .unsubscribe import batch_links, sms_link

__all__ = ["BatchResult", "RunChannels", "send_batch"]

log = logging.getLogger(__name__)

#: A message's channels in the order they are handed over (e-mail first, as the record expects).
_CHANNEL_ORDER = ("mail", "sms")


class RunChannels:
    """The channels of one connection of a run, each opened when a message first needs it.

    Kept from batch to batch by a lane (:mod:`.lanes`), so its SMTP connection is reused;
    ``sms_slots`` bounds the SMS requests in flight across the lanes of a send job.
    """

    def __init__(
        self, state: BroadcastsState, campaign_id: int, run_key: str, *, sms_slots: BoundedSemaphore | None = None
    ) -> None:
        self.state = state
        self.campaign_id = campaign_id
        self.run_key = run_key
        self.sms_slots = sms_slots
        self.open: dict[str, Channel] = {}

    def get(self, name: str) -> Channel:
        channel = self.open.get(name)
        if channel is None:
            channel = self.open[name] = self._make(name)
        return channel

    def _make(self, name: str) -> Channel:
        state = self.state
        if name == "mail":
            ttl = state.settings.claim_ttl
            return MailChannel(
                mime_builder(state.session, self.campaign_id, self.run_key),
                MailSettings.from_app(current_app),
                timeout=min(state.settings.smtp_timeout, ttl / 3),
                unsubscribe=batch_links(state.settings),
                signer=state.dkim_signer,
            )
        provider = state.sms_provider
        channel = SmsChannel(
            provider, status_callback=status_callback_url(state, provider), unsubscribe_url_for=sms_link(state.settings)
        )
        return channel if self.sms_slots is None else Bounded(channel, self.sms_slots)

    def close(self) -> None:
        for channel in self.open.values():
            channel.close()
        self.open.clear()


def send_batch(
    campaign_id: int,
    run_key: str,
    worker_id: str,
    *,
    channels: RunChannels | None = None,
    lanes: int = 1,
) -> BatchResult:
    """Claim and send one batch of the run; complete the run when nothing is left.

    ``channels``: a lane's, kept open after the batch (else the batch opens and closes its
    own). ``lanes``: how many batches the send job sends at once (:mod:`.lanes`); this one
    claims its share of ``BROADCASTS_BATCH_SIZE`` and updates the counters as often as
    its share of one connection's rate.

    :raises RetryLater: a provider is down or deferred us; the unsent rest of the claim
        was released (retry the job later).
    :raises OutcomeUnknown: a message's answer was lost (it is recorded as such); the
        rest of the claim was released.
    """
    state = get_state()
    session, settings = state.session, state.settings
    expire_claims(session, campaign_id=campaign_id, run_key=run_key)
    token = new_claim_token(worker_id)
    ttl = settings.claim_ttl
    # 2,000 messages in claims of 500 would keep only four connections busy.
    share = -(-settings.batch_size // lanes)
    batch = claim(session, campaign_id, run_key, token, share, ttl, utcnow())
    if not batch:
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        if completed is None:
            _send_when_deferred_are_due(state, campaign_id, run_key)
        return BatchResult(completed=completed is not None)
    recorder = OutcomeRecorder(session, campaign_id, run_key, token, lanes=lanes)
    owned = channels is None
    channels = channels or RunChannels(state, campaign_id, run_key)
    try:
        recorder.result.claimed = len(batch)
        renew_at = time.monotonic() + ttl / 3
        try:
            try:
                for index, message in enumerate(batch):
                    if recorder.halted is not None:
                        break
                    if time.monotonic() >= renew_at:
                        if not renew(session, token, ttl):
                            log.warning("claim %s was taken over; stopping this batch", token)
                            recorder.flush()
                            return recorder.result
                        renew_at = time.monotonic() + ttl / 3
                    following = batch[index + 1] if index + 1 < len(batch) else None
                    try:
                        _send_message(session, message, following, channels, recorder)
                    except CampaignHalted:
                        break
            finally:
                if owned:
                    channels.close()
        except BaseException:
            session.rollback()
            recorder.flush()
            recorder.result.released = release(session, token, delete_them=False)
            raise
        recorder.flush()
        if recorder.halted is not None:
            stopped = recorder.stopped
            recorder.result.stopped, recorder.result.paused = stopped, not stopped
            recorder.result.released = release(session, token, delete_them=stopped)
            if stopped:
                # The stop counted the run's messages when it committed; outcomes recorded
                # since (at most one per connection) go into its figures now.
                reconcile_stopped_run(session, campaign_id, run_key, state.publisher)
            return recorder.result
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        recorder.result.completed = completed is not None
        return recorder.result
    finally:
        recorder.close()


def _send_when_deferred_are_due(state: BroadcastsState, campaign_id: int, run_key: str) -> None:
    """Nothing is claimable but deferred messages wait: queue a send job for when the first is due.

    One job per due second (its id says which), so the workers that find the run empty
    together queue it once; the recovery sweep queues one too if that job is lost.
    """
    at = next_deferred_at(state.session, campaign_id, run_key)
    if at is not None:
        state.dispatcher.send(campaign_id, run_key, tag=f"deferred{int(at.timestamp())}", at=at)


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
            outcome = channels.get(name).deliver(message, before_handover=recorder.before_handover, following=following)
        except OutcomeUnknown:
            status = MessageStatus.COMPLETED if delivered else MessageStatus.FAILED
            unknown = {f"{name}_status": ChannelStatus.UNKNOWN.value}
            recorder.record(
                message.id, status, error=OUTCOME_UNKNOWN, error_code=OUTCOME_UNKNOWN, tries=tries, **unknown, **values
            )
            raise
        except (RetryLater, CampaignHalted):
            if values:  # an earlier channel went out: keep that, retry the rest later
                session.execute(update(messages).where(messages.c.id == message.id).values(**values))
                session.commit()
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
        else:
            values[f"{name}_status"] = ChannelStatus.REFUSED.value
            errors.append(f"{name}: {outcome.detail}")
            codes.append(outcome.code)
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
