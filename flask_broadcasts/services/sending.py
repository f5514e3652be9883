"""Send one batch of a run: claim, send over one SMTP connection, record each acceptance.

Exactly once, as built:

* **Claim.** Up to ``BROADCASTS_BATCH_SIZE`` pending, unclaimed messages of the run
  are claimed in one ``UPDATE ... WHERE id IN (SELECT ... ORDER BY id LIMIT n FOR
  UPDATE SKIP LOCKED)`` (SQLite, a single writer, needs no lock clause), with a
  lease of ``BROADCASTS_CLAIM_TTL`` that the worker renews every third of it.
* **Record before the next send.** After each message (all its channels), one
  one-row ``UPDATE`` + ``COMMIT`` records its outcome; counters, sent-e-mail rows and
  the stop check are set-based, every ``BROADCASTS_COUNTER_FLUSH`` messages. On
  PostgreSQL the record is one prepared statement on an autocommit connection (one
  round trip, durable on return) that also writes the sent-e-mail row, and every
  ``BROADCASTS_COUNTER_FLUSH``-th record carries the counter update too.
* **A dead worker** therefore leaves at most one message in doubt: the lowest-id
  pending message of its expired claim. :func:`expire_claims` marks it ``failed``
  with ``outcome_unknown`` (never resent) and releases the rest.
* **Failures.** 5xx → that message fails alone, with the server's answer. Server down,
  4xx, or a connection lost before the message was complete → the unsent rest of the
  claim is released and :class:`~flask_broadcasts.delivery.mail.TemporaryFailure` is
  raised so the job is retried with backoff. A connection lost after the whole message
  went out → that message is ``outcome_unknown``.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from flask import current_app
from sqlalchemy import Connection, bindparam, text, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..delivery.mail import MailSettings, OutcomeUnknown, RecipientRefused, TemporaryFailure, transport_for
from ..delivery.mime import InvalidAddress
from ..delivery.sms import SmsOutcomeUnknown, send_sms, status_callback_url
from ..events import publish_campaign
from ..extension import get_state
from ..models import BroadcastSentEmail, utcnow
from ..statuses import ChannelStatus, MessageStatus
from .claims import OUTCOME_UNKNOWN, claim, expire_claims, new_claim_token, release, renew
from .progress import (
    RUNNING,
    add_to_counters,
    campaigns,
    complete_run_if_done,
    messages,
    progress_crossed,
)
from .run_mime import mime_builder

log = logging.getLogger(__name__)

sent_emails = BroadcastSentEmail.__table__



@dataclass
class BatchResult:
    claimed: int = 0
    sent: int = 0
    failed: int = 0
    released: int = 0
    stopped: bool = False
    completed: bool = False


# -- the batch ------------------------------------------------------------------------------


# The per-message record on PostgreSQL: one prepared statement on an autocommit
# connection, so recording a message is one round trip (no BEGIN, no COMMIT, durable
# on return), and a sent e-mail's ``broadcast_sent_emails`` row goes in the same
# statement. ``COALESCE``: a channel not given keeps what it had.
_PG_RECORD = """
WITH m AS (
    UPDATE {messages} SET status = %(status)s, error = %(error)s, sent_at = %(sent_at)s,
        claimed_by = NULL, claim_expires_at = NULL,
        mail_status = COALESCE(%(mail_status)s, mail_status),
        sms_status = COALESCE(%(sms_status)s, sms_status),
        provider_message_id = COALESCE(%(provider_message_id)s, provider_message_id)
    WHERE id = %(id)s
    RETURNING id
)
INSERT INTO {sent_emails} (organization_id, message_id, message_id_header, sender, recipient, subject, sent_at, response)
SELECT %(se_organization_id)s::text, m.id, %(se_message_id_header)s::text, %(se_sender)s::text,
       %(se_recipient)s::text, %(se_subject)s::text, %(se_sent_at)s::timestamptz, %(se_response)s::text
FROM m WHERE %(se)s
ON CONFLICT (message_id) DO NOTHING
""".format(messages=messages.name, sent_emails=sent_emails.name)

# Every ``flush_every``-th message: the same record, with the counter update in the
# same statement (one round trip, one commit) and the campaign row back for the event.
_PG_RECORD_AND_COUNT = text("""
WITH m AS (
    UPDATE {messages} SET status = :status, error = :error, sent_at = :sent_at,
        claimed_by = NULL, claim_expires_at = NULL,
        mail_status = COALESCE(:mail_status, mail_status),
        sms_status = COALESCE(:sms_status, sms_status),
        provider_message_id = COALESCE(:provider_message_id, provider_message_id)
    WHERE id = :id
    RETURNING id
), s AS (
    INSERT INTO {sent_emails} (organization_id, message_id, message_id_header, sender, recipient, subject, sent_at, response)
    SELECT CAST(:se_organization_id AS text), m.id, CAST(:se_message_id_header AS text), CAST(:se_sender AS text),
           CAST(:se_recipient AS text), CAST(:se_subject AS text), CAST(:se_sent_at AS timestamptz),
           CAST(:se_response AS text)
    FROM m WHERE :se
    ON CONFLICT (message_id) DO NOTHING
)
UPDATE {campaigns} SET sent_count = sent_count + :b_sent, failed_count = failed_count + :b_failed, updated_at = :b_now
WHERE id = :b_campaign_id
RETURNING {columns}
""".format(messages=messages.name, sent_emails=sent_emails.name, campaigns=campaigns.name,
           columns=", ".join(c.name for c in campaigns.c))).columns(*campaigns.c)

_RECORD_CHANNELS = ("mail_status", "sms_status", "provider_message_id")
_SENT_EMAIL_KEYS = ("organization_id", "message_id_header", "sender", "recipient", "subject", "sent_at", "response")
_NO_SENT_EMAIL = {f"se_{k}": None for k in _SENT_EMAIL_KEYS}

# Built once: SQLAlchemy's compiled cache then skips compiling it again.
_ADD_TO_COUNTERS = (
    update(campaigns)
    .where(campaigns.c.id == bindparam("b_campaign_id"))
    .values(
        sent_count=campaigns.c.sent_count + bindparam("b_sent"),
        failed_count=campaigns.c.failed_count + bindparam("b_failed"),
        updated_at=bindparam("b_now", type_=campaigns.c.updated_at.type),
    )
    .returning(*campaigns.c)
)


class _Recorder:
    """Records outcomes: one row per message now, counters/sent e-mails/stop check per flush.

    On PostgreSQL the per-message record and the counter flush run on an autocommit
    connection of their own (one round trip each); the session keeps no transaction
    open on message rows in between, so the two never wait on each other. Elsewhere
    (SQLite) they go through the session and commit.
    """

    def __init__(self, session: Session, campaign_id: int, token: str, flush_every: int) -> None:
        state = get_state()
        self.session = session
        self.campaign_id = campaign_id
        self.token = token
        self.flush_every = max(1, flush_every)
        self.event_every = state.settings.event_every
        self.publisher = state.publisher
        self.sent = self.failed = self.unflushed = 0
        self.pending_sent_emails: list[dict[str, Any]] = []
        self.stopped = False
        self.result = BatchResult()
        self.conn: Connection | None = None
        self.cursor: Any = None
        bind = session.get_bind()
        if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
            self.conn = bind.connect().execution_options(isolation_level="AUTOCOMMIT")
            self.cursor = self.conn.connection.dbapi_connection.cursor()

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.cursor.close()
            finally:
                self.conn.close()
                self.conn = self.cursor = None

    def sent_email(self, **values: Any) -> None:
        """A sent e-mail's record: written with the message's record (PostgreSQL) or at the next flush."""
        self.pending_sent_emails.append(values)

    def record(self, message_id: int, status: MessageStatus, *, error: str | None = None, **channels: Any) -> None:
        now = utcnow()
        sent_at = now if status.is_sent else None
        if self.cursor is not None:
            params: dict[str, Any] = {"id": message_id, "status": status.value, "error": error, "sent_at": sent_at}
            for key in _RECORD_CHANNELS:
                params[key] = channels.pop(key, None)
            if channels:
                raise TypeError(f"unexpected channel values: {sorted(channels)}")
            email = None
            if self.pending_sent_emails and self.pending_sent_emails[-1]["message_id"] == message_id:
                email = self.pending_sent_emails[-1]
            if email is not None:
                params["se"] = True
                for key in _SENT_EMAIL_KEYS:
                    params[f"se_{key}"] = email[key]
            else:
                params["se"] = False
                params.update(_NO_SENT_EMAIL)
            if self.unflushed + 1 < self.flush_every:
                self.cursor.execute(_PG_RECORD, params, prepare=True)
                counted = False
            else:
                counted = True
                sent, failed = self.sent + status.is_sent, self.failed + (not status.is_sent)
                params.update(b_campaign_id=self.campaign_id, b_sent=sent, b_failed=failed, b_now=now)
                row = self.conn.execute(_PG_RECORD_AND_COUNT, params).first()
            if email is not None:
                self.pending_sent_emails.pop()
            self._add(status)
            if counted:
                self._counted(row, self.sent + self.failed)
            return
        self.session.execute(
            update(messages)
            .where(messages.c.id == message_id)
            .values(status=status.value, error=error, sent_at=sent_at,
                    claimed_by=None, claim_expires_at=None, **channels)
        )
        self._add(status)
        if self.unflushed >= self.flush_every:
            self.flush(commit=False)
        self.session.commit()

    def flush(self, *, commit: bool = True) -> None:
        """Add the recorded outcomes to the counters; learn whether the campaign was stopped."""
        row = None
        added = self.sent + self.failed
        if self.conn is not None:
            if self.pending_sent_emails:  # only left when a record failed halfway
                self.conn.execute(postgresql.insert(sent_emails).on_conflict_do_nothing(index_elements=["message_id"]),
                                  self.pending_sent_emails)
                self.pending_sent_emails = []
            if added:
                row = self.conn.execute(_ADD_TO_COUNTERS, {"b_campaign_id": self.campaign_id, "b_sent": self.sent,
                                                           "b_failed": self.failed, "b_now": utcnow()}).first()
        else:
            if self.pending_sent_emails:
                self.session.execute(_insert(self.session)(sent_emails).on_conflict_do_nothing(index_elements=["message_id"]),
                                     self.pending_sent_emails)
                self.pending_sent_emails = []
            if added:
                row = add_to_counters(self.session, self.campaign_id, sent=self.sent, failed=self.failed)
            if commit:
                self.session.commit()
        self._counted(row, added)

    def _add(self, status: MessageStatus) -> None:
        if status.is_sent:
            self.sent += 1
            self.result.sent += 1
        else:
            self.failed += 1
            self.result.failed += 1
        self.unflushed += 1

    def _counted(self, row: Any, added: int) -> None:
        """The counters took ``added`` outcomes (``row``: the campaign after that): reset, stop check, event."""
        if added:
            self.sent = self.failed = self.unflushed = 0
            if row is not None and row.status not in RUNNING:
                self.stopped = True
        if progress_crossed(row, added, self.event_every):
            publish_campaign(self.publisher, row)


def _insert(session: Session) -> Any:
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


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
    flush_every = settings.counter_flush or settings.event_every
    recorder = _Recorder(session, campaign_id, token, flush_every)
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
                                to=message.email, subject=message.subject, body=message.body,
                                action_label=message.action_label, action_url=message.action_url,
                                recipient_type=message.recipient_type, recipient_id=message.recipient_id,
                            )
                            answer = transport.send(email.envelope_from, email.recipient, email.data)
                        except (RecipientRefused, InvalidAddress) as exc:
                            values["mail_status"] = ChannelStatus.REFUSED.value
                            errors.append(f"mail: {exc}")
                        except OutcomeUnknown:
                            recorder.record(message.id, MessageStatus.FAILED, error=OUTCOME_UNKNOWN,
                                            mail_status=ChannelStatus.UNKNOWN.value)
                            raise
                        else:
                            values["mail_status"] = ChannelStatus.SENT.value
                            delivered = True
                            recorder.sent_email(
                                organization_id=message.organization_id, message_id=message.id,
                                message_id_header=email.message_id, sender=email.envelope_from,
                                recipient=email.recipient, subject=message.subject, sent_at=utcnow(),
                                response=answer[:500],
                            )
                    elif message.mail_status == ChannelStatus.SENT.value:
                        delivered = True
                    if "sms" in channels and message.sms_status is None:
                        # The SMS channel (delivery/sms): invalid numbers and gateway refusals fail
                        # this message; "retry later" and "outcome unknown" stop the batch.
                        sms_provider = sms_provider or state.sms_provider
                        try:
                            outcome = send_sms(sms_provider, message.mobile, message.body_short,
                                               status_callback=status_callback_url(state, sms_provider))
                        except SmsOutcomeUnknown as exc:
                            recorder.record(message.id, MessageStatus.COMPLETED if delivered else MessageStatus.FAILED,
                                            error=OUTCOME_UNKNOWN, sms_status=ChannelStatus.UNKNOWN.value, **values)
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

