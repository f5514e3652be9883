"""Send one batch of a run: claim, send over one SMTP connection, record each acceptance.

Exactly once, as built:

* **Claim.** Up to ``BROADCASTS_BATCH_SIZE`` pending, unclaimed messages of the run
  are claimed in one ``UPDATE ... WHERE id IN (SELECT ... ORDER BY id LIMIT n FOR
  UPDATE SKIP LOCKED)`` (SQLite, a single writer, needs no lock clause), with a
  lease of ``BROADCASTS_CLAIM_TTL`` that the worker renews every third of it.
* **Record before the next send.** After each message (all its channels), its outcome
  is recorded (:mod:`.records`: one round trip on PostgreSQL) before the next message is
  handed over; counters, the progress event and the stop check are set-based.
* **A dead worker** therefore leaves at most one message in doubt: the lowest-id
  pending message of its expired claim. :func:`expire_claims` marks it ``failed``
  with ``outcome_unknown`` (never resent) and releases the rest.
* **Failures.** 5xx → that message fails alone, with the server's answer. Server down,
  4xx, or a connection lost before the message was complete → the unsent rest of the
  claim is released and :class:`~flask_broadcasts.channels.mail.TemporaryFailure` is
  raised so the job is retried with backoff. A connection lost after the whole message
  went out → that message is ``outcome_unknown``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from flask import current_app
from sqlalchemy import update

from ..channels.mail import Envelope, MailSettings, OutcomeUnknown, RecipientRefused, TemporaryFailure, transport_for
from ..channels.mime import InvalidAddress, MimeBuilder, ascii_address
from ..channels.sms import SmsOutcomeUnknown, send_sms, status_callback_url
from ..models import utcnow
from ..state import get_state
from ..statuses import ChannelStatus, MessageStatus
from .claims import OUTCOME_UNKNOWN, claim, expire_claims, new_claim_token, release, renew
from .completion import complete_run_if_done
from .outcomes import BatchResult, OutcomeRecorder
from .run_mime import mime_builder
from .tables import messages

__all__ = ["BatchResult", "send_batch"]

log = logging.getLogger(__name__)


def _next_envelope(builder: MimeBuilder, batch: list[Any], index: int) -> Envelope | None:
    """The envelope of ``batch[index]`` when it goes by e-mail next, for the transport to pipeline.

    Only the envelope goes ahead: the message is accepted by its own final ``.``, sent
    after the previous message is recorded, so sending an envelope early changes nothing
    about what a dead worker can leave in doubt.
    """
    if index >= len(batch):
        return None
    following = batch[index]
    if "mail" not in (following.channels or []) or following.mail_status is not None:
        return None
    try:
        return builder.envelope_from, ascii_address(following.email)
    except InvalidAddress:
        return None


def send_batch(campaign_id: int, run_key: str, worker_id: str) -> BatchResult:
    """Claim and send one batch of the run; complete the run when nothing is left.

    :raises TemporaryFailure: the mail server is down or deferred us; the unsent rest
        of the claim was released (retry the job later).
    """
    state = get_state()
    session, settings = state.session, state.settings
    expire_claims(session, campaign_id=campaign_id, run_key=run_key)
    token = new_claim_token(worker_id)
    ttl = settings.claim_ttl
    batch = claim(session, campaign_id, run_key, token, settings.batch_size, ttl, utcnow())
    if not batch:
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        return BatchResult(completed=completed is not None)
    recorder = OutcomeRecorder(session, campaign_id, run_key, token)
    try:
        recorder.result.claimed = len(batch)
        builder = None
        sms_provider = None
        mail_settings = MailSettings.from_app(current_app)
        renew_at = time.monotonic() + ttl / 3
        sent_index = 0
        try:
            with transport_for(mail_settings, timeout=min(settings.smtp_timeout, ttl / 3)) as transport:
                for sent_index, message in enumerate(batch):
                    if recorder.stopped:
                        break
                    if time.monotonic() >= renew_at:
                        if not renew(session, token, ttl):
                            log.warning("claim %s was taken over; stopping this batch", token)
                            recorder.flush()
                            return recorder.result
                        renew_at = time.monotonic() + ttl / 3
                    channels = message.channels or []
                    values: dict[str, Any] = {}
                    errors: list[str] = []
                    delivered = False
                    if "mail" in channels and message.mail_status is None:
                        builder = builder or mime_builder(session, campaign_id, run_key)
                        try:
                            email = builder.build(
                                to=message.email,
                                subject=message.subject,
                                body=message.body,
                                action_label=message.action_label,
                                action_url=message.action_url,
                                recipient_type=message.recipient_type,
                                recipient_id=message.recipient_id,
                            )
                            answer = transport.send(
                                email.envelope_from,
                                email.recipient,
                                email.data,
                                before_data=recorder.settle,
                                then=_next_envelope(builder, batch, sent_index + 1),
                            )
                        except (RecipientRefused, InvalidAddress) as exc:
                            values["mail_status"] = ChannelStatus.REFUSED.value
                            errors.append(f"mail: {exc}")
                        except OutcomeUnknown:
                            recorder.record(
                                message.id,
                                MessageStatus.FAILED,
                                error=OUTCOME_UNKNOWN,
                                mail_status=ChannelStatus.UNKNOWN.value,
                            )
                            raise
                        else:
                            values["mail_status"] = ChannelStatus.SENT.value
                            delivered = True
                            recorder.sent_email(
                                organization_id=message.organization_id,
                                message_id=message.id,
                                message_id_header=email.message_id,
                                sender=email.envelope_from,
                                recipient=email.recipient,
                                subject=message.subject,
                                sent_at=utcnow(),
                                response=answer[:500],
                            )
                    elif message.mail_status == ChannelStatus.SENT.value:
                        delivered = True
                    if "sms" in channels and message.sms_status is None:
                        # The SMS channel (delivery/sms): invalid numbers and gateway refusals fail
                        # this message; "retry later" and "outcome unknown" stop the batch.
                        sms_provider = sms_provider or state.sms_provider
                        recorder.settle()  # the previous message's record first, as for e-mail
                        try:
                            outcome = send_sms(
                                sms_provider,
                                message.mobile,
                                message.body_short,
                                status_callback=status_callback_url(state, sms_provider),
                            )
                        except SmsOutcomeUnknown as exc:
                            recorder.record(
                                message.id,
                                MessageStatus.COMPLETED if delivered else MessageStatus.FAILED,
                                error=OUTCOME_UNKNOWN,
                                sms_status=ChannelStatus.UNKNOWN.value,
                                **values,
                            )
                            raise TemporaryFailure(f"sms provider: {exc.reason}") from exc
                        except Exception as exc:  # SmsTransientError, or a host provider's own error
                            if values:  # mail went out: record it, then retry the SMS later
                                session.execute(update(messages).where(messages.c.id == message.id).values(**values))
                                session.commit()
                            raise TemporaryFailure(f"sms provider: {getattr(exc, 'reason', exc)}") from exc
                        if outcome.accepted:
                            values["sms_status"] = ChannelStatus.SENT.value
                            values["provider_message_id"] = outcome.provider_message_id
                            delivered = True
                        else:
                            values["sms_status"] = ChannelStatus.REFUSED.value
                            errors.append(f"sms: {outcome.reason}")
                    elif message.sms_status == ChannelStatus.SENT.value:
                        delivered = True
                    status = MessageStatus.COMPLETED if delivered else MessageStatus.FAILED
                    recorder.record(message.id, status, error="; ".join(errors)[:2000] or None, **values)
        except BaseException:
            session.rollback()
            recorder.flush()
            recorder.result.released = release(session, token, delete_them=False)
            raise
        recorder.flush()
        if recorder.stopped:
            recorder.result.stopped = True
            recorder.result.released = release(session, token, delete_them=True)
            return recorder.result
        completed = complete_run_if_done(session, campaign_id, run_key, state.publisher)
        recorder.result.completed = completed is not None
        return recorder.result
    finally:
        recorder.close()
