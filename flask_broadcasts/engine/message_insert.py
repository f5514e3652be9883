"""Store a chunk of a run's message rows so that the exactly-once key decides.

On PostgreSQL (psycopg) by ``COPY``, falling back to a staging table and ``ON CONFLICT DO
NOTHING`` when a row of the chunk is already there; elsewhere by ``INSERT ... ON CONFLICT
DO NOTHING``. Either way a recipient already stored for the run is never stored twice, so
a restarted or taken-over materialization reaches only those not yet stored.
"""

from __future__ import annotations

import json
import logging
import operator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from .tables import dialect_insert, messages

if TYPE_CHECKING:
    import psycopg

log = logging.getLogger(__name__)

#: A message's exactly-once key: one per recipient of a run.
UNIQUE_KEY = ["campaign_id", "run_key", "recipient_type", "recipient_id"]


@dataclass
class Copying:
    """Whether a run's next chunk goes straight into ``broadcast_messages`` (see :func:`_copy_chunk`)."""

    direct: bool = True


def insert_rows(session: Session, rows: list[dict[str, Any]], copying: Copying) -> list[str]:
    """Insert the rows not stored yet, in the chunk's order; return their statuses. Does not commit."""
    if not rows:
        return []
    if _can_copy(session):
        statuses, copying.direct = _copy_chunk(session, rows, direct=copying.direct)
        return statuses
    stmt = (
        dialect_insert(session)(messages).on_conflict_do_nothing(index_elements=UNIQUE_KEY).returning(messages.c.status)
    )
    return list(session.execute(stmt, rows).scalars())


def _can_copy(session: Session) -> bool:
    dialect = session.get_bind().dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def _copy_chunk(session: Session, rows: list[dict[str, Any]], *, direct: bool) -> tuple[list[str], bool]:
    """PostgreSQL: ``COPY`` the chunk straight into ``broadcast_messages`` (``direct``).

    When a row of it is already there — a materialization taken over from a dead worker,
    or a host statement that returns a recipient twice — the ``COPY`` is undone (a
    savepoint) and the chunk goes through a staging table: ``COPY`` into it, then one
    ``INSERT ... SELECT ... ON CONFLICT DO NOTHING`` on the exactly-once key, in the
    chunk's order (the staging ``id`` is the row's position). The direct way costs
    PostgreSQL about a fifth less time per row (33 µs instead of 42); a multi-row ``VALUES`` of 1,000 rows spent most of
    its time in the driver parsing the statement's placeholders; ``COPY`` has none.

    Returns the statuses of the rows inserted and whether the next chunk may go straight in.
    """
    from psycopg.errors import UniqueViolation  # psycopg is there: see _can_copy

    columns = [c for c in rows[0] if c != "id"]
    names = ", ".join(columns)
    values_of = operator.itemgetter(*columns)
    # JSON columns go to COPY as JSON text (a NULL stays NULL).
    channels_at = columns.index("channels") if "channels" in columns else None
    bindings_at = columns.index("bindings") if "bindings" in columns else None

    def copy_rows(copy: Any, *, positions: bool) -> None:
        for position, row in enumerate(rows):
            values = list(values_of(row))
            if channels_at is not None:
                values[channels_at] = json.dumps(values[channels_at] or [])
            if bindings_at is not None and values[bindings_at] is not None:
                values[bindings_at] = json.dumps(values[bindings_at])
            copy.write_row([position, *values] if positions else values)

    raw = cast("psycopg.Connection[Any]", session.connection().connection.dbapi_connection)  # see _can_copy
    with raw.cursor() as cursor:
        if direct:
            cursor.execute("SAVEPOINT broadcasts_copy")
            try:
                with cursor.copy(f"COPY {messages.name} ({names}) FROM STDIN") as copy:
                    copy_rows(copy, positions=False)
            except UniqueViolation:
                cursor.execute("ROLLBACK TO SAVEPOINT broadcasts_copy")
            else:
                cursor.execute("RELEASE SAVEPOINT broadcasts_copy")
                return [row["status"] for row in rows], True
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_STAGE} (LIKE {messages.name}) ON COMMIT DELETE ROWS")
        with cursor.copy(f"COPY {_STAGE} (id, {names}) FROM STDIN") as copy:
            copy_rows(copy, positions=True)
        cursor.execute(
            f"INSERT INTO {messages.name} ({names}) SELECT {names} FROM {_STAGE} ORDER BY id "
            f"ON CONFLICT ({', '.join(UNIQUE_KEY)}) DO NOTHING RETURNING status"
        )
        statuses = [status for (status,) in cursor.fetchall()]
    return statuses, False


_STAGE = "broadcasts_message_stage"


def analyze_messages(session: Session) -> None:
    """PostgreSQL: refresh the planner's statistics of ``broadcast_messages``.

    Right after a run's rows land, the statistics still describe the table before them
    (a campaign with a handful of rows), and the first page of ``GET .../messages``
    sorts every row of the campaign instead of walking the listing index (measured:
    9 ms instead of 0.08 ms at 10,000 rows). Best effort: skipped when another ANALYZE
    or a VACUUM holds the table for more than a moment.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    try:
        session.execute(text("SET LOCAL lock_timeout = '2s'"))
        session.execute(text(f"ANALYZE {messages.name}"))
        session.commit()
    except DBAPIError:
        session.rollback()
        log.info("ANALYZE %s skipped", messages.name, exc_info=True)
