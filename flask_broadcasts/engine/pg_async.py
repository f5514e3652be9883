"""One prepared statement in flight at a time on a psycopg connection (libpq's asynchronous API).

Used by :mod:`.records` so that a message's record travels while the next message's
envelope does. Imported only when the database is PostgreSQL through psycopg (an
optional dependency): everything here may import it at module level.
"""

from __future__ import annotations

import select
import time
from typing import Any

import psycopg
from psycopg import pq

_DUPLICATE_PREPARED_STATEMENT = b"42P05"


class InFlightStatement:
    """Send a prepared statement now, collect its result later.

    :param pgconn: the ``psycopg.pq.PGconn`` of an idle autocommit connection; it must
        stay idle for psycopg between :meth:`send` and :meth:`wait`.
    :param timeout: seconds an answer may take before the connection counts as lost.
    """

    def __init__(self, pgconn: Any, name: bytes, sql: bytes, *, timeout: float) -> None:
        self.pgconn = pgconn
        self.name = name
        self.timeout = timeout
        self.busy = False
        # A pooled connection keeps the statement from an earlier use in this process.
        _check(pgconn.prepare(name, sql), allow_sqlstate=_DUPLICATE_PREPARED_STATEMENT)

    def send(self, values: list[bytes | None]) -> None:
        """Send one execution (text-format parameters) without waiting for its result."""
        pgconn = self.pgconn
        pgconn.send_query_prepared(self.name, values)
        self.busy = True
        while pgconn.flush():  # psycopg keeps libpq non-blocking: push the rest out
            if not select.select([], [pgconn.socket], [], self.timeout)[1]:
                raise psycopg.OperationalError("timed out sending a statement")

    def wait(self) -> tuple[bytes | None, ...] | None:
        """Wait for the result of the execution sent last; raise if it failed.

        Returns the first row it answered (text-format values), ``None`` when it answered none.
        """
        pgconn = self.pgconn
        deadline = time.monotonic() + self.timeout
        pgconn.consume_input()
        while pgconn.is_busy():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not select.select([pgconn.socket], [], [], remaining)[0]:
                raise psycopg.OperationalError("no answer to a statement")
            pgconn.consume_input()
        self.busy = False
        results = []
        while (result := pgconn.get_result()) is not None:
            results.append(result)
        if pgconn.status != pq.ConnStatus.OK:
            raise psycopg.OperationalError("the connection to PostgreSQL was lost")
        row = None
        for result in results:
            _check(result)
            if row is None and result.ntuples:
                row = tuple(result.get_value(0, column) for column in range(result.nfields))
        return row


def _check(result: Any, *, allow_sqlstate: bytes | None = None) -> None:
    """Raise for a failed libpq result, as psycopg would."""
    if result.status not in (pq.ExecStatus.COMMAND_OK, pq.ExecStatus.TUPLES_OK):
        if allow_sqlstate and result.error_field(pq.DiagnosticField.SQLSTATE) == allow_sqlstate:
            return
        message = (result.error_message or b"").decode("utf-8", "replace")
        raise psycopg.DatabaseError(f"statement failed: {message}")


def is_disconnect(exc: BaseException) -> bool:
    """Whether an error (psycopg's, or SQLAlchemy's wrapping one) means the connection is gone."""
    return (
        isinstance(exc, psycopg.OperationalError)
        or isinstance(getattr(exc, "orig", None), psycopg.OperationalError)
        or bool(getattr(exc, "connection_invalidated", False))
    )
