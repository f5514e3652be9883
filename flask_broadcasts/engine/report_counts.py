"""The counters behind a campaign's report (``broadcast_report_counts``).

A report is read from these rows (a few dozen per run), never from a scan of the
messages: every place that settles an outcome adds to them in the same transaction.

* **Derived** metrics follow the messages' columns: ``status`` (messages per channel
  status; ``key`` the status), ``failure`` (failed channels per error code) and
  ``hour_sent`` (messages handed over per UTC hour, by ``sent_at``: a later bounce does not
  take one back) and ``unreachable`` (channel ``""``: messages that failed with no channel to
  try, per error code). The recorder adds to them at each counter
  flush; the feedback that moves a channel (delivered, bounced, undelivered) moves them;
  and when a run completes they are recounted from its messages
  (:func:`recount_run`, one pass over the run, once), so what a killed worker or a
  path that does not count (expiry, recovery) left out is put right there.
* **Event** metrics are added once per event (each event is applied once):
  ``soft_bounced``, ``complained``, ``unsubscribed``, the tracking metrics
  (``opened``, ``opened_unique``, ``opened_machine``, ``clicked``...), ``link_clicks`` /
  ``link_unique`` (``key`` the link's index) and the hourly ``hour_delivered``,
  ``hour_opened``, ``hour_clicked`` (channel ``""``).
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy import Connection, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..models import BroadcastReportCount, utcnow
from ..statuses import ChannelStatus, MessageStatus
from .tables import messages, run_messages

__all__ = [
    "CHANNEL_COLUMNS",
    "DERIVED",
    "FAILED_CHANNEL",
    "Deltas",
    "add_report_counts",
    "channel_deltas",
    "hour_key",
    "moved",
    "read",
    "recount_run",
]

counts: sa.Table = BroadcastReportCount.__table__  # type: ignore[assignment]

#: ``(channel, metric, key)`` → how much to add.
Deltas = Counter[tuple[str, str, str]]

#: Each channel and the message column holding its status.
CHANNEL_COLUMNS = {"mail": "mail_status", "sms": "sms_status"}
#: Channel statuses that count as failed (``failed`` includes ``suppressed``): never
#: accepted, or accepted and then reported undeliverable.
FAILED_CHANNEL = frozenset(
    s.value for s in (ChannelStatus.REFUSED, ChannelStatus.SUPPRESSED, ChannelStatus.BOUNCED, ChannelStatus.UNDELIVERED)
)
#: The metrics recounted from the messages when a run completes.
DERIVED = ("status", "failure", "hour_sent", "unreachable")


def hour_key(moment: datetime | None = None) -> str:
    """The hourly series' key of ``moment`` (now by default): ``2026-12-02T19`` (UTC)."""
    moment = moment or utcnow()
    # Asked once per recorded message, for the same hour nearly every time: strftime was
    # most of the cost of counting an outcome.
    return _hour_key(moment.year, moment.month, moment.day, moment.hour)


@functools.lru_cache(maxsize=64)
def _hour_key(year: int, month: int, day: int, hour: int) -> str:
    return datetime(year, month, day, hour).strftime("%Y-%m-%dT%H")


def channel_deltas(
    deltas: Deltas, *, sent: bool, error_code: str | None, statuses: Mapping[str, Any], sent_at: datetime | None
) -> None:
    """Add one recorded outcome to ``deltas``: each channel it settled, and its hour when sent."""
    for channel, column in CHANNEL_COLUMNS.items():
        status = statuses.get(column)
        if not status:
            continue
        deltas[(channel, "status", status)] += 1
        if status in FAILED_CHANNEL:
            deltas[(channel, "failure", error_code or status)] += 1
    if sent:
        deltas[("", "hour_sent", hour_key(sent_at))] += 1


def moved(deltas: Deltas, channel: str, before: str | None, after: str, *, error_code: str | None = None) -> None:
    """A channel's status moved from ``before`` to ``after`` (feedback): move its counts."""
    if before:
        deltas[(channel, "status", before)] -= 1
    deltas[(channel, "status", after)] += 1
    if after in FAILED_CHANNEL and before not in FAILED_CHANNEL:
        deltas[(channel, "failure", error_code or after)] += 1


def _rows(campaign_id: int, run_key: str, deltas: Mapping[tuple[str, str, str], int]) -> list[dict[str, Any]]:
    return [
        {"campaign_id": campaign_id, "run_key": run_key, "channel": c, "metric": m, "key": k, "count": n}
        for (c, m, k), n in deltas.items()
        if n
    ]


def add_report_counts(where: Any, campaign_id: int, run_key: str, deltas: Mapping[tuple[str, str, str], int]) -> None:
    """Add ``deltas`` to the run's counts (an upsert; in the caller's transaction)."""
    rows = _rows(campaign_id, run_key, deltas)
    if not rows:
        return
    # A Connection (the recorder's on PostgreSQL) or a session (scoped or not).
    dialect = where.dialect.name if isinstance(where, Connection) else where.get_bind().dialect.name
    insert = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(counts)
    statement = insert.on_conflict_do_update(
        index_elements=["campaign_id", "run_key", "channel", "metric", "key"],
        set_={"count": counts.c.count + insert.excluded.count},
    )
    # Sorted: concurrent upserts of the same keys lock them in one order (no deadlock).
    where.execute(statement, sorted(rows, key=lambda r: (r["channel"], r["metric"], r["key"])))


def _hour_expression(session: Session) -> Any:
    column = messages.c.sent_at
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), 'YYYY-MM-DD"T"HH24')
    return func.strftime("%Y-%m-%dT%H", column)


def recount_run(session: Session, campaign_id: int, run_key: str) -> None:
    """Set the run's derived counts from its messages (one pass; in the caller's transaction)."""
    where = run_messages(campaign_id, run_key)
    deltas: Deltas = Counter()
    for channel, column_name in CHANNEL_COLUMNS.items():
        column = messages.c[column_name]
        for status, code, number in session.execute(
            select(column, messages.c.error_code, func.count())
            .where(where, column.is_not(None))
            .group_by(column, messages.c.error_code)
        ):
            deltas[(channel, "status", status)] += number
            if status in FAILED_CHANNEL:
                deltas[(channel, "failure", code or status)] += number
    # Failed with no channel to try (no address, no consent for any): in no channel's funnel.
    for code, number in session.execute(
        select(messages.c.error_code, func.count())
        .where(
            where,
            messages.c.status == MessageStatus.FAILED.value,
            *(messages.c[name].is_(None) for name in CHANNEL_COLUMNS.values()),
        )
        .group_by(messages.c.error_code)
    ):
        deltas[("", "unreachable", code or MessageStatus.FAILED.value)] += number
    hour = _hour_expression(session)
    for key, number in session.execute(
        select(hour, func.count()).where(where, messages.c.sent_at.is_not(None)).group_by(hour)
    ):
        deltas[("", "hour_sent", key)] += number
    session.execute(
        delete(counts).where(
            counts.c.campaign_id == campaign_id, counts.c.run_key == run_key, counts.c.metric.in_(DERIVED)
        )
    )
    add_report_counts(session, campaign_id, run_key, deltas)


def read(session: Session, campaign_id: int) -> Iterable[Any]:
    """Every count of the campaign: ``(run_key, channel, metric, key, count)`` rows."""
    return session.execute(
        select(counts.c.run_key, counts.c.channel, counts.c.metric, counts.c.key, counts.c.count).where(
            counts.c.campaign_id == campaign_id
        )
    )
