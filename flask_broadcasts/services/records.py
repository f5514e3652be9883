"""Recording each message's outcome before the next one is sent, and the run's counters.

One :class:`OutcomeRecorder` per claimed batch. Every message gets its own record
(status and channel statuses) as soon as the server answered and before the next
message is handed over, so a killed worker leaves at most one message in doubt.
Counters, the ``broadcast_sent_emails`` rows, the progress event and the stop check are
set-based: one flush per ``BROADCASTS_COUNTER_FLUSH`` messages, at most one per
``BROADCASTS_PROGRESS_INTERVAL`` seconds. (The sent-e-mail rows a killed worker had not
flushed yet are rebuilt by the recovery sweep, without the server's answer text.)

On PostgreSQL (psycopg 3) a record is one prepared statement on an autocommit
connection of its own: one round trip, no ``BEGIN``/``COMMIT``. By default it is
committed with ``synchronous_commit = off``: visible to every other session at once and
kept when the worker dies (PostgreSQL writes it out within a fraction of a second), but
a crash of PostgreSQL itself may lose the last records. So each counter update is a
*synchronous* commit, which flushes every earlier record too, and the recorder keeps the
records since the last one; when the database connection breaks, it reconnects and
writes them again (idempotently) before the claim's lease runs out.
``BROADCASTS_SYNCHRONOUS_RECORDS = True`` makes every record wait for the disk instead.

Elsewhere (SQLite) records go through the session with a commit each.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, bindparam, update
from sqlalchemy.dialects import postgresql
from sqlalchemy.orm import Session

from ..events import publish_campaign
from ..extension import get_state
from ..models import BroadcastSentEmail, utcnow
from ..statuses import MessageStatus
from .progress import RUNNING, add_to_counters, campaigns, dialect_insert, messages, progress_crossed

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


# The per-message record on PostgreSQL: one prepared statement, one round trip.
# ``COALESCE``: a channel not given keeps what it had. Idempotent, so the records a
# PostgreSQL crash lost can be written again.
_PG_RECORD = """
UPDATE {messages} SET status = %(status)s, error = %(error)s, sent_at = %(sent_at)s,
    claimed_by = NULL, claim_expires_at = NULL,
    mail_status = COALESCE(%(mail_status)s, mail_status),
    sms_status = COALESCE(%(sms_status)s, sms_status),
    provider_message_id = COALESCE(%(provider_message_id)s, provider_message_id)
WHERE id = %(id)s
""".format(messages=messages.name)

_RECORD_CHANNELS = ("mail_status", "sms_status", "provider_message_id")

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

_INSERT_SENT_EMAILS = postgresql.insert(sent_emails).on_conflict_do_nothing(index_elements=["message_id"])

# How long a worker that lost PostgreSQL tries to reconnect to write again the records
# the crash may have lost: until shortly before its claim's lease would let another
# worker's recovery sweep take the batch over.
_RECONNECT_PAUSE = 0.5


class OutcomeRecorder:
    """Records the outcomes of one claimed batch (see the module docstring)."""

    def __init__(self, session: Session, campaign_id: int, token: str) -> None:
        state = get_state()
        settings = state.settings
        self.session = session
        self.campaign_id = campaign_id
        self.token = token
        self.flush_every = max(1, settings.counter_flush or settings.event_every)
        self.flush_interval = float(settings.progress_interval or 0)
        self.event_every = settings.event_every
        self.synchronous = bool(settings.synchronous_records)
        self.publisher = state.publisher
        self.sent = self.failed = self.unflushed = 0
        self.last_flush = time.monotonic()
        self.pending_sent_emails: list[dict[str, Any]] = []
        #: Records committed asynchronously since the last synchronous commit.
        self.unsynced: list[dict[str, Any]] = []
        #: Until when the claim is ours (monotonic clock); the sender keeps it current.
        self.lease_until = time.monotonic() + settings.claim_ttl
        self.stopped = False
        self.result = BatchResult()
        self.conn: Connection | None = None
        self.cursor: Any = None
        bind = session.get_bind()
        if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
            self._connect()

    # -- PostgreSQL connection -------------------------------------------------------------

    def _connect(self) -> None:
        self.conn = self.session.get_bind().connect().execution_options(isolation_level="AUTOCOMMIT")
        self.cursor = self.conn.connection.dbapi_connection.cursor()
        if not self.synchronous:
            self.cursor.execute("SET synchronous_commit = off")

    def close(self) -> None:
        if self.conn is not None:
            try:
                self.cursor.close()
            except Exception:  # a broken connection: closing it is all that is left
                pass
            finally:
                self.conn.close()
                self.conn = self.cursor = None

    def _commit_synchronously(self, statement: Any, params: dict[str, Any]) -> Any:
        """Run ``statement`` as a synchronous commit: it and every earlier record are on disk."""
        if self.synchronous:
            return self.conn.execute(statement, params).first()
        self.cursor.execute("SET synchronous_commit = on")
        try:
            row = self.conn.execute(statement, params).first()
        finally:
            self.cursor.execute("SET synchronous_commit = off")
        self.unsynced.clear()
        return row

    def _record_again_after_reconnecting(self) -> bool:
        """PostgreSQL went away: write the records it may have lost once it is back.

        Reconnects until shortly before the lease runs out; after that the recovery sweep
        owns the batch and writing would race it. Whether the records were written again.
        """
        deadline = self.lease_until - _RECONNECT_PAUSE * 4
        self.close()
        while True:
            try:
                self._connect()
                self.cursor.execute("SET synchronous_commit = on")
                for params in self.unsynced:
                    self.cursor.execute(_PG_RECORD, params, prepare=True)
                # The last statement's synchronous commit flushed every earlier one.
                self.unsynced.clear()
                if not self.synchronous:
                    self.cursor.execute("SET synchronous_commit = off")
                return True
            except Exception as exc:
                self.close()
                if time.monotonic() >= deadline:
                    log.error(
                        "claim %s: PostgreSQL did not come back before the claim's lease ran out; %d records "
                        "committed asynchronously may be lost (%s)", self.token, len(self.unsynced), exc,
                    )
                    return False
                time.sleep(_RECONNECT_PAUSE)

    # -- recording -------------------------------------------------------------------------

    def sent_email(self, **values: Any) -> None:
        """A sent e-mail's ``broadcast_sent_emails`` row, written at the next flush."""
        self.pending_sent_emails.append(values)

    def record(self, message_id: int, status: MessageStatus, *, error: str | None = None, **channels: Any) -> None:
        """Record one message's outcome; now and then, add the outcomes to the counters."""
        now = utcnow()
        sent_at = now if status.is_sent else None
        if self.cursor is not None:
            self._record_on_postgresql(message_id, status, error, sent_at, channels)
        else:
            self.session.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(status=status.value, error=error, sent_at=sent_at,
                        claimed_by=None, claim_expires_at=None, **channels)
            )
            self._add(status)
            if self._flush_due():
                self.flush(commit=False)
            self.session.commit()
            return
        self._add(status)
        if self._flush_due():
            self.flush()

    def _record_on_postgresql(self, message_id: int, status: MessageStatus, error: str | None,
                              sent_at: Any, channels: dict[str, Any]) -> None:
        params: dict[str, Any] = {"id": message_id, "status": status.value, "error": error, "sent_at": sent_at}
        for key in _RECORD_CHANNELS:
            params[key] = channels.pop(key, None)
        if channels:
            raise TypeError(f"unexpected channel values: {sorted(channels)}")
        if not self.synchronous:
            self.unsynced.append(params)
        try:
            self.cursor.execute(_PG_RECORD, params, prepare=True)
        except Exception as exc:
            if not _is_disconnect(exc):
                raise
            if self.synchronous:  # this record's commit may or may not have happened
                self.unsynced.append(params)
            if self._record_again_after_reconnecting():
                self._add(status)
            raise

    def _flush_due(self) -> bool:
        if self.unflushed < self.flush_every:
            return False
        return not self.flush_interval or time.monotonic() - self.last_flush >= self.flush_interval

    def flush(self, *, commit: bool = True) -> None:
        """Add the recorded outcomes to the counters; learn whether the campaign was stopped."""
        row = None
        added = self.sent + self.failed
        if self.conn is not None:
            if self.pending_sent_emails:
                self.conn.execute(_INSERT_SENT_EMAILS, self.pending_sent_emails)
                self.pending_sent_emails = []
            if added or self.unsynced:
                row = self._commit_synchronously(_ADD_TO_COUNTERS, {
                    "b_campaign_id": self.campaign_id, "b_sent": self.sent, "b_failed": self.failed, "b_now": utcnow(),
                })
        else:
            if self.pending_sent_emails:
                self.session.execute(dialect_insert(self.session)(sent_emails)
                                     .on_conflict_do_nothing(index_elements=["message_id"]), self.pending_sent_emails)
                self.pending_sent_emails = []
            if added:
                row = add_to_counters(self.session, self.campaign_id, sent=self.sent, failed=self.failed)
            if commit:
                self.session.commit()
        self.last_flush = time.monotonic()
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


def _is_disconnect(exc: BaseException) -> bool:
    """Whether a psycopg error means the connection to PostgreSQL is gone."""
    import psycopg

    return isinstance(exc, psycopg.OperationalError) or bool(getattr(exc, "connection_invalidated", False))
