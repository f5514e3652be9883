"""The suppression list as CSV: import an earlier list, export the organization's.

:func:`import_suppressions` reads columns ``channel``, ``address`` and ``reason`` (and, as
:func:`export_suppressions` writes them, ``source_kind``, ``source_id`` and
``created_at``). Every row is checked before anything is written: one bad row and nothing
is imported, the problems named by their line in the file. The rows go in in one
transaction, each through :func:`~flask_broadcasts.services.suppressions.suppress`, so
each new one gets its consent record (method ``import``, the file's name as reference);
an address already on the list is counted, not an error.

Exporting writes every column in a stable order (channel, then address), so exporting,
importing into an empty list and exporting again gives the same file.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import IO, Any, TextIO

from sqlalchemy import select

from ..errors import BroadcastsError
from ..models import BroadcastSuppression
from ..state import get_state
from ..statuses import ConsentMethod, SuppressionReason, SuppressionSource
from .addresses import CHANNELS, normalize_address
from .suppressions import suppress

__all__ = ["COLUMNS", "BadRow", "ImportRefused", "Imported", "export_suppressions", "import_suppressions"]

#: The export's columns, in order; an import needs the first three.
COLUMNS: tuple[str, ...] = ("channel", "address", "reason", "source_kind", "source_id", "created_at")
REQUIRED: tuple[str, ...] = COLUMNS[:3]
_REASONS = tuple(reason.value for reason in SuppressionReason)
_KINDS = tuple(kind.value for kind in SuppressionSource)


@dataclass(frozen=True)
class BadRow:
    """A problem of the file: its line (1 is the header) and what is wrong."""

    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


class ImportRefused(BroadcastsError):
    """The file has bad rows; nothing was imported. ``problems`` names each by line."""

    def __init__(self, problems: list[BadRow]) -> None:
        super().__init__(f"{len(problems)} bad row(s); nothing was imported.")
        self.problems = problems


@dataclass(frozen=True)
class Imported:
    """What an import did: rows added to the list, and rows whose address was already on it."""

    added: int
    already: int


@dataclass(frozen=True)
class _Row:
    channel: str
    address: str
    reason: str
    source: dict[str, Any]
    created_at: datetime | None


def _read(stream: TextIO, name: str | None) -> list[_Row]:
    reader = csv.DictReader(stream)
    header = [column.strip() for column in reader.fieldnames or ()]
    problems: list[BadRow] = []
    missing = [column for column in REQUIRED if column not in header]
    unknown = [column for column in header if column not in COLUMNS]
    if missing or unknown:
        said = [
            f"missing column(s) {', '.join(missing)}" if missing else "",
            f"unknown column(s) {', '.join(unknown)}" if unknown else "",
        ]
        raise ImportRefused([BadRow(1, "; ".join(text for text in said if text) + f" (columns: {', '.join(COLUMNS)})")])
    reader.fieldnames = header
    rows: list[_Row] = []
    seen: dict[tuple[str, str], int] = {}
    for values in reader:
        line = reader.line_num
        if None in values:  # more fields than the header
            problems.append(BadRow(line, f"{len(header) + len(values[None])} fields, the header has {len(header)}"))
            continue
        row = {key: (value or "").strip() for key, value in values.items()}
        errors = []
        channel = row["channel"]
        address = ""
        if channel not in CHANNELS:
            errors.append(f"channel {channel!r} is not one of {', '.join(CHANNELS)}")
        else:
            try:
                address = normalize_address(channel, row["address"])
            except ValueError as problem:
                errors.append(f"address {row['address']!r}: {problem}")
        if row["reason"] not in _REASONS:
            errors.append(f"reason {row['reason']!r} is not one of {', '.join(_REASONS)}")
        kind = row.get("source_kind") or SuppressionSource.IMPORT.value
        if kind not in _KINDS:
            errors.append(f"source_kind {kind!r} is not one of {', '.join(_KINDS)}")
        created_at = None
        if row.get("created_at"):
            try:
                created_at = datetime.fromisoformat(row["created_at"])
            except ValueError:
                errors.append(f"created_at {row['created_at']!r} is not an ISO 8601 time")
            else:
                if created_at.tzinfo is None:
                    errors.append(f"created_at {row['created_at']!r} has no UTC offset")
        if address and (channel, address) in seen:
            errors.append(f"{address} ({channel}) is already on line {seen[(channel, address)]}")
        if errors:
            problems.append(BadRow(line, "; ".join(errors)))
            continue
        seen[(channel, address)] = line
        source_id = row.get("source_id") or (name if kind == SuppressionSource.IMPORT.value else None)
        rows.append(_Row(channel, address, row["reason"], {"kind": kind, "id": source_id or None}, created_at))
    if problems:
        raise ImportRefused(problems)
    return rows


def import_suppressions(organization_id: str, stream: TextIO, *, name: str | None = None) -> Imported:
    """Add the file's rows to the organization's list, all of them or (one bad row) none.

    :param stream: CSV text (open it with ``newline=""``); a header line first.
    :param name: the file's name: the consent records' reference, and the ``source_id``
        of rows that name no source.
    :raises ~flask_broadcasts.services.suppression_csv.ImportRefused: bad rows (each with its line number); nothing was written.
    """
    rows = _read(stream, name)
    session = get_state().session
    added = 0
    try:
        for row in rows:
            added += suppress(
                organization_id,
                row.channel,
                row.address,
                row.reason,
                row.source,
                commit=False,
                method=ConsentMethod.IMPORT,
                created_at=row.created_at,
                reference=name,
            )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return Imported(added=added, already=len(rows) - added)


def _cells(row: Any) -> Iterable[str]:
    created_at = row.created_at.astimezone(UTC).isoformat() if row.created_at else ""
    return (row.channel, row.address, row.reason, row.source_kind, row.source_id or "", created_at)


def export_suppressions(organization_id: str, stream: IO[str]) -> int:
    """Write the organization's whole list as CSV (:data:`COLUMNS`, by channel then address).

    Read in pages by keyset, so a long list never sits in memory. Returns the rows written.
    """
    writer = csv.writer(stream, lineterminator="\n")
    writer.writerow(COLUMNS)
    session = get_state().session
    written = 0
    after: tuple[str, str] | None = None
    while True:
        stmt = select(*(getattr(BroadcastSuppression, column) for column in COLUMNS)).where(
            BroadcastSuppression.organization_id == str(organization_id)
        )
        if after is not None:
            stmt = stmt.where(
                (BroadcastSuppression.channel > after[0])
                | ((BroadcastSuppression.channel == after[0]) & (BroadcastSuppression.address > after[1]))
            )
        page = session.execute(
            stmt.order_by(BroadcastSuppression.channel, BroadcastSuppression.address).limit(_PAGE)
        ).all()
        for suppression in page:
            writer.writerow(_cells(suppression))
        written += len(page)
        if len(page) < _PAGE:
            return written
        after = (page[-1].channel, page[-1].address)


_PAGE = 1000
