"""Recording each message's outcome before the next one is sent, and the run's counters.

One :class:`OutcomeRecorder` per claimed batch. Every message gets its own record
(status and channel statuses) as soon as the server answered and before the next
message is handed over, so a killed worker leaves at most one message in doubt.
Counters, the ``broadcast_sent_emails`` rows, the progress event and the stop check are
set-based: one flush per ``BROADCASTS_COUNTER_FLUSH`` messages, at most one per
``BROADCASTS_PROGRESS_INTERVAL`` seconds. (The sent-e-mail rows a killed worker had not
flushed yet are rebuilt by the recovery sweep, without the server's answer text.)

On PostgreSQL (psycopg 3) a record is one prepared statement on an autocommit
connection of its own, sent through libpq's asynchronous API as soon as the server has
accepted the message; the sender waits for its result (:meth:`OutcomeRecorder.settle`)
just before the next message's data goes out, so that wait overlaps the next envelope's
round trip instead of adding one. By default a record is
committed with ``synchronous_commit = off``: visible to every other session at once and
kept when the worker dies (PostgreSQL writes it out within a fraction of a second), but
a crash of PostgreSQL itself may lose the last records. So each counter update is a
*synchronous* commit, which flushes every earlier record too, and the recorder keeps the
records since the last one; when the database connection breaks, it reconnects and
writes them again (idempotently) before anything else.
``BROADCASTS_SYNCHRONOUS_RECORDS = True`` makes every record wait for the disk instead.

Elsewhere (SQLite) records go through the session with a commit each.

**Halting.** Each record also answers whether the campaign still runs this run (on
PostgreSQL in the same statement, on SQLite in the same transaction). The sender calls
:meth:`OutcomeRecorder.before_handover` right before each message's final bytes; when the
last answer said the campaign was paused or stopped, it raises :class:`CampaignHalted`
and the message is never completed (SMTP: the connection is dropped before the final
``.``, and the server discards it). So after a pause or a stop has committed, each
connection hands over at most the one message whose record was already on its way.
"""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection, update
from sqlalchemy.orm import Session

from ..errors import BroadcastsError
from ..events import publish_campaign
from ..models import utcnow
from ..state import get_state
from ..statuses import CampaignStatus, MessageStatus
from ..webhooks.messages import MessageEvents
from . import record_sql as sql
from .deferral import RetryPolicy
from .event_order import in_commit_order
from .guard import check_row
from .pg_recording import RECONNECT_PATIENCE_TTLS, PostgresRecording, as_param, is_disconnect_error
from .report_counts import Deltas, add_report_counts, channel_deltas
from .runs import progress_crossed
from .tables import RUNNING, dialect_insert, messages, sent_emails

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)


@dataclass
class BatchResult:
    """What one send batch did: messages claimed, sent, failed and released.

    ``stopped``: the campaign was stopped meanwhile; ``paused``: it was paused (the unsent
    rest was released); ``completed``: the batch completed the run; ``retired``: its lane
    retired (the unsent rest was released).
    """

    claimed: int = 0
    sent: int = 0
    failed: int = 0
    released: int = 0
    stopped: bool = False
    paused: bool = False
    completed: bool = False
    #: The send job needed fewer lanes: the batch stopped early and gave the rest back.
    retired: bool = False
    #: What the run had left unsettled by the counters at the batch's last flush (``None``:
    #: no flush counted anything), claimed by other lanes included.
    remaining: int | None = None


class CampaignHalted(BroadcastsError):
    """The campaign was paused or stopped: the message about to be handed over must not go out.

    Raised by :meth:`OutcomeRecorder.before_handover`; not a channel outcome (nothing
    was attempted), so channels let it through.
    """


#: ``OutcomeRecorder.halted`` when the campaign no longer has this run (stopped and
#: started again, deleted): the batch ends as for a stop.
RUN_GONE = ""


class OutcomeRecorder(PostgresRecording):
    """Records the outcomes of one claimed batch (see the module docstring)."""

    def __init__(self, session: Session, campaign_id: int, run_key: str, token: str, *, lanes: int = 1) -> None:
        state = get_state()
        settings = state.settings
        self.session = session
        self.campaign_id = campaign_id
        self.run_key = run_key
        self.token = token
        self.flush_every = max(1, settings.counter_flush or settings.event_every)
        # One of ``lanes`` recorders of a send job: together they flush as often as one.
        self.flush_interval = float(settings.progress_interval or 0) * lanes
        self.event_every = settings.event_every
        self.synchronous = bool(settings.synchronous_records)
        #: How many tries a deferred message gets, and its back-off (:mod:`.deferral`).
        self.retry_policy = RetryPolicy.from_settings(settings)
        self.publisher = state.publisher
        self.sent = self.failed = self.unflushed = 0
        self.last_flush = time.monotonic()
        self.pending_sent_emails: list[dict[str, Any]] = []
        #: The report's counts of the outcomes since the last flush (:mod:`.report_counts`).
        self.report: Deltas = Counter()
        #: Parameters of the records since the last synchronous commit (or the one in flight).
        self.unsynced: list[list[bytes | None]] = []
        self.reconnect_patience = max(60.0, settings.claim_ttl * RECONNECT_PATIENCE_TTLS)
        #: ``None`` while the campaign runs this run; else the status a record or a counter
        #: flush found (``paused``, ``draft``...; :data:`RUN_GONE`).
        self.halted: str | None = None
        self.result = BatchResult()
        #: The campaign row of the last counter flush, for the deliverability guard (:mod:`.guard`).
        self.guard_row: Any = None
        self.events = MessageEvents(session, campaign_id, run_key)  # signals, batched webhooks
        self.conn: Connection | None = None
        self.cursor: Any = None
        self.record_statement: Any = None  # pg_async.InFlightStatement on the record connection
        bind = session.get_bind()
        if bind.dialect.name == "postgresql" and bind.dialect.driver == "psycopg":
            self._connect()

    # -- recording -------------------------------------------------------------------------

    def sent_email(self, **values: Any) -> None:
        """A sent e-mail's ``broadcast_sent_emails`` row, written at the next flush."""
        self.pending_sent_emails.append(values)

    def record(
        self,
        message_id: int,
        status: MessageStatus,
        *,
        error: str | None = None,
        error_code: str | None = None,
        tries: int | None = None,
        **channels: Any,
    ) -> None:
        """Record one message's outcome; now and then, add the outcomes to the counters.

        ``error_code`` is in :class:`~flask_broadcasts.statuses.ErrorCode`'s words; ``tries``
        the message's tries with this one (``None`` keeps the count); ``channels`` are
        ``mail_status``, ``sms_status`` and ``provider_message_id`` (a channel not given
        keeps what it had).
        """
        now = utcnow()
        sent_at = now if status.is_sent else None
        self.events.message(message_id, status, error_code)
        channel_deltas(self.report, sent=status.is_sent, error_code=error_code, statuses=channels, sent_at=now)
        if self.cursor is not None:
            self._record_on_postgresql(message_id, status, error, error_code, tries, sent_at, channels)
            self._add(status)
        else:
            counted = {} if tries is None else {"tries": tries}
            self.session.execute(
                update(messages)
                .where(messages.c.id == message_id)
                .values(
                    status=status.value,
                    error=error,
                    error_code=error_code,
                    sent_at=sent_at,
                    claimed_by=None,
                    claim_expires_at=None,
                    retry_at=None,
                    **counted,
                    **channels,
                )
            )
            self._halt_unless_running(self.session.execute(sql.CAMPAIGN_OF_RUN, self._run_params()).scalar())
            self._add(status)
            if self._flush_due():
                self.flush(commit=False)
            self.session.commit()
            self._check_guard()
            return
        if self._flush_due():
            self.flush()

    def _record_on_postgresql(
        self,
        message_id: int,
        status: MessageStatus,
        error: str | None,
        error_code: str | None,
        tries: int | None,
        sent_at: Any,
        channels: dict[str, Any],
    ) -> None:
        values = [as_param(status.value), as_param(error), as_param(sent_at.isoformat() if sent_at else None)]
        values += [as_param(channels.pop(key, None)) for key in sql.RECORD_CHANNELS]
        values += [as_param(str(message_id)), as_param(error_code), as_param(None if tries is None else str(tries))]
        if channels:
            raise TypeError(f"unexpected channel values: {sorted(channels)}")
        self.settle()  # one record in flight at a time
        self.unsynced.append(values)
        try:
            self.record_statement.send(values)
        except Exception as exc:
            if not is_disconnect_error(exc):
                raise
            self._record_again_after_reconnecting()
            raise

    def defer(self, message_id: int, *, tries: int, retry_at: Any, error: str | None, **channels: Any) -> None:
        """A temporary answer about this message's recipient: back to the queue, claimable at ``retry_at``.

        Not an outcome (no counter moves). Committed before the next message is handed
        over, as a record is, so a worker that dies next never leaves it in its claim;
        on PostgreSQL synchronously (deferrals are rare; it also makes the records before
        it durable). ``channels`` as for :meth:`record`: what other channels settled.
        """
        params = {
            "b_id": message_id,
            "b_tries": tries,
            "b_retry_at": retry_at,
            "b_error": error,
            **{f"b_{key}": channels.pop(key, None) for key in sql.RECORD_CHANNELS},
        }
        if channels:
            raise TypeError(f"unexpected channel values: {sorted(channels)}")
        if self.conn is not None:
            try:
                self._commit_synchronously(sql.DEFER, params)
            except Exception as exc:
                if not is_disconnect_error(exc):
                    raise
                self._record_again_after_reconnecting()
                raise
            return
        self.session.execute(sql.DEFER, params)
        self.session.commit()

    def settle(self) -> None:
        """Wait until the last record is committed; note whether the campaign still runs."""
        if self.record_statement is None or not self.record_statement.busy:
            return
        try:
            row = self.record_statement.wait()
        except Exception as exc:
            if not is_disconnect_error(exc):
                raise
            self._record_again_after_reconnecting()
            raise
        if self.synchronous:  # that commit waited for the disk
            self.unsynced.clear()
        status = row[0] if row else None
        self._halt_unless_running(status.decode() if status is not None else None)

    def before_handover(self) -> None:
        """The sender's last step before a message's final bytes: settle the previous record.

        :raises CampaignHalted: the campaign was paused or stopped (this message must not go out).
        """
        self.settle()
        if self.halted is not None:
            raise CampaignHalted(f"campaign {self.campaign_id} is {self.halted or 'on another run'}")

    @property
    def stopped(self) -> bool:
        """The run is over for this batch (stopped, or no longer the campaign's): delete the unsent rest."""
        return self.halted is not None and self.halted != CampaignStatus.PAUSED.value

    @property
    def paused(self) -> bool:
        """The campaign was paused: release the unsent rest."""
        return self.halted == CampaignStatus.PAUSED.value

    def _halt_unless_running(self, status: str | None) -> None:
        if self.halted is None and status not in RUNNING:
            self.halted = RUN_GONE if status is None else status

    def _run_params(self) -> dict[str, Any]:
        return {"b_campaign_id": self.campaign_id, "b_run_key": self.run_key}

    def _flush_due(self) -> bool:
        if self.unflushed < self.flush_every:
            return False
        return not self.flush_interval or time.monotonic() - self.last_flush >= self.flush_interval

    def flush(self, *, commit: bool = True) -> None:
        """Add the recorded outcomes to the counters; learn whether the campaign was stopped."""
        # On its own recording connection (PostgreSQL) or through the session (module event_order).
        with in_commit_order(self.session if self.conn is None else None):
            self._flush(commit=commit)
        if commit:
            self._check_guard()

    def _check_guard(self) -> None:
        """Ask the deliverability guard about the row the last flush returned (once committed:
        the guard's pause commits, and its refusal rolls back)."""
        row, self.guard_row = self.guard_row, None
        if row is not None and check_row(row):
            self._halt_unless_running(CampaignStatus.PAUSED.value)

    def _flush(self, *, commit: bool) -> None:
        row = None
        added = self.sent + self.failed
        if self.conn is not None:
            self.settle()
            try:
                if self.pending_sent_emails:
                    self._write_sent_emails(self.pending_sent_emails)
                    self.pending_sent_emails = []
                if added or self.unsynced:
                    row = self._commit_synchronously(sql.ADD_TO_COUNTERS, self._counter_params())
                if row is not None:
                    self._add_report_counts(self.conn)
            except Exception as exc:
                if not is_disconnect_error(exc):
                    raise
                self._record_again_after_reconnecting()
                raise
        else:
            if self.pending_sent_emails:
                self.session.execute(
                    dialect_insert(self.session)(sent_emails).on_conflict_do_nothing(index_elements=["message_id"]),
                    self.pending_sent_emails,
                )
                self.pending_sent_emails = []
            if added:
                row = self.session.execute(sql.ADD_TO_COUNTERS, self._counter_params()).first()
            if row is not None:
                self._add_report_counts(self.session)
            if commit:
                self.session.commit()
        self.last_flush = time.monotonic()
        self._counted(row, added)
        self.events.flush(self.session)
        if added:
            self.guard_row = row

    def _add_report_counts(self, where: Any) -> None:
        """The report's counts of the flushed outcomes, only while the run is open (as the
        counters: completing the run recounts them from its messages)."""
        deltas, self.report = self.report, Counter()
        add_report_counts(where, self.campaign_id, self.run_key, deltas)

    def _counter_params(self) -> dict[str, Any]:
        return {
            **self._run_params(),
            "b_sent": self.sent,
            "b_failed": self.failed,
            "b_now": utcnow(),
        }

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
            if row is None:  # stopped, or completed by another worker's COUNT
                self.report.clear()  # recounted with the run
                self._halt_unless_running(None)
            else:
                self._halt_unless_running(row.status)
                self.result.remaining = max(0, (row.total_count or 0) - row.sent_count - row.failed_count)
        if progress_crossed(row, added, self.event_every):
            publish_campaign(self.publisher, row)
