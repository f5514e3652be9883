"""The PostgreSQL side of an :class:`~flask_broadcasts.engine.outcomes.OutcomeRecorder`: its
own autocommit connection, the synchronous commit that makes earlier records durable, the
sent-e-mail rows by ``COPY``, and writing the records again after PostgreSQL came back.

A mixin of the recorder (it shares the recorder's attributes: ``session``, ``conn``,
``cursor``, ``record_statement``, ``synchronous``, ``unsynced``, ``token``,
``reconnect_patience``), kept apart so that the recorder's module reads as what it
records, and this one as how PostgreSQL is made to keep it.
"""

from __future__ import annotations

import logging
import operator
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import Connection
from sqlalchemy.orm import Session

from . import record_sql as sql

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

# A worker that lost PostgreSQL polls for it this often, to write again the records a
# crash may have lost. Nobody can take its claim over while the database is down, and
# once it is back the recovery sweep (every BROADCASTS_RECOVERY_INTERVAL) may: polling
# fast makes the worker win that race. It keeps trying for BROADCASTS_CLAIM_TTL x 10
# (at least a minute).
RECONNECT_PAUSE = 0.2
RECONNECT_PATIENCE_TTLS = 10


class PostgresRecording:
    """The recording connection of an outcome recorder on PostgreSQL (psycopg 3)."""

    session: Session
    token: str
    synchronous: bool
    reconnect_patience: float
    conn: Connection | None
    cursor: Any
    record_statement: Any
    unsynced: list[list[bytes | None]]

    #: The recorder's: wait for the record in flight.
    settle: Callable[[], None]

    def _connect(self) -> None:
        from .pg_async import InFlightStatement

        # .engine: the session's bind is an Engine (a Connection has one too).
        self.conn = self.session.get_bind().engine.connect().execution_options(isolation_level="AUTOCOMMIT")
        dbapi_connection = cast("psycopg.Connection[Any]", self.conn.connection.dbapi_connection)
        self.cursor = dbapi_connection.cursor()
        if not self.synchronous:
            self.cursor.execute("SET synchronous_commit = off")
        self.record_statement = InFlightStatement(
            dbapi_connection.pgconn, sql.PG_RECORD_NAME, sql.PG_RECORD, timeout=sql.RECORD_TIMEOUT
        )

    def close(self) -> None:
        """Wait for a record still in flight, then give the recording connection back."""
        if self.record_statement is not None and self.record_statement.busy:
            try:
                self.settle()
            except Exception:  # logged by whoever handles the batch's failure
                pass
        self._discard_connection()

    def _discard_connection(self, *, broken: bool = False) -> None:
        if self.conn is not None:
            try:
                if not broken and not self.synchronous:
                    # Back to the pool as it came: the pool's reset (a rollback) keeps session
                    # settings, and the session's own commits must stay synchronous.
                    self.cursor.execute("RESET synchronous_commit")
                self.cursor.close()
            except Exception:  # a broken connection: closing it is all that is left
                broken = True
            finally:
                if broken:
                    # Never back into the pool: in autocommit mode its reset does no I/O, so
                    # the pool would not notice the connection is dead and hand it out again.
                    self.conn.invalidate()
                self.conn.close()
                self.conn = self.cursor = self.record_statement = None

    def _commit_synchronously(self, statement: Any, params: dict[str, Any]) -> Any:
        """Run ``statement`` as a synchronous commit: it and every earlier record are on disk."""
        assert self.conn is not None  # the PostgreSQL path: the recording connection is open
        self.settle()
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

        Whether the records were written again (see ``RECONNECT_PAUSE``).
        """
        deadline = time.monotonic() + self.reconnect_patience
        self._discard_connection(broken=True)
        while True:
            try:
                self._connect()
                self.cursor.execute("SET synchronous_commit = on")
                for values in self.unsynced:
                    self.record_statement.send(values)
                    self.record_statement.wait()
                # The last statement's synchronous commit flushed every earlier one.
                self.unsynced.clear()
                if not self.synchronous:
                    self.cursor.execute("SET synchronous_commit = off")
                return True
            except Exception as exc:
                self._discard_connection(broken=True)
                if time.monotonic() >= deadline:
                    log.error(
                        "claim %s: PostgreSQL did not come back within %.0f s; %d records committed "
                        "asynchronously may be lost (%s)",
                        self.token,
                        self.reconnect_patience,
                        len(self.unsynced),
                        exc,
                    )
                    return False
                time.sleep(RECONNECT_PAUSE)

    def _write_sent_emails(self, rows: list[dict[str, Any]]) -> None:
        from psycopg.errors import UniqueViolation  # psycopg is there: this is the PostgreSQL path

        values_of = operator.itemgetter(*sql.SENT_EMAIL_COLUMNS)
        try:
            with self.cursor.copy(sql.COPY_SENT_EMAILS) as copy:
                for row in rows:
                    copy.write_row(values_of(row))
        except UniqueViolation:  # autocommit: the failed COPY wrote nothing
            self.cursor.execute(sql.INSERT_SENT_EMAILS, [[row[c] for row in rows] for c in sql.SENT_EMAIL_COLUMNS])


def as_param(value: str | None) -> bytes | None:
    return None if value is None else value.encode("utf-8")


def is_disconnect_error(exc: BaseException) -> bool:
    from .pg_async import is_disconnect

    return is_disconnect(exc)
