"""``make bench``'s newsletter lines: ours, the limit and the naive line with real-sized bodies.

For each size of :data:`benchmarks.newsletter.SIZES_KB` (newsletter-shaped HTML, see
:func:`~benchmarks.newsletter.newsletter_html`), on the same PostgreSQL and sink:

* **ours** — a campaign through the API and two worker processes, as the main lines;
* **limit** — the reference of :mod:`benchmarks.reference` with the same body (pre-rendered,
  reused connections, one row per message), run before and after ours; the higher counts;
* **limit with records** — the same, each acceptance recorded before the next message goes,
  as our exactly-once promise requires (:mod:`benchmarks.reference`), also around ours. Its
  ratio to the limit is what that promise alone costs: the best ours could reach;
* **naive** — Flask-Mail and an ORM commit per message with the same body (median of three).

And the bytes each stores per message: ``pg_total_relation_size`` of the extension's
tables (``broadcast_%``, indexes and TOAST included) after ``VACUUM FULL``, before and
after the line, divided by its messages. ``VACUUM FULL`` so that the figure is what the
rows take, not what earlier lines' dead versions left behind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import psycopg

from .newsletter import SIZES_KB, newsletter_html

#: Bytes of pre-rendered e-mails the limit line may hold in memory across its processes: it
#: renders every message before its clock starts, and 100,000 e-mails of 100 KB (with their
#: base64) would take 24 GB. Past this it sends fewer recipients; its msg/s does not depend on N.
LIMIT_MEMORY = 4_000_000_000

_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename LIKE 'broadcast\\_%'"


def stored_bytes(database: str) -> int:
    """Bytes of the extension's tables, indexes and TOAST included, after ``VACUUM FULL``."""
    with psycopg.connect(database, autocommit=True) as connection:
        tables = [name for (name,) in connection.execute(_TABLES).fetchall()]
        for name in tables:
            connection.execute(f'VACUUM FULL "{name}"')
        total = 0
        for name in tables:
            total += connection.execute("SELECT pg_total_relation_size(%s)", (name,)).fetchone()[0]
        return int(total)


def run_lines(
    database: str,
    size: int,
    *,
    ours: Callable[[str, str], dict[str, Any]],
    limit: Callable[[str, int, bool], float],
    naive: Callable[[str], float],
    sizes_kb: tuple[int, ...] = SIZES_KB,
) -> list[dict[str, Any]]:
    """One line per body size: ``ours(body, label)`` (a campaign record), ``limit(body, recipients, recorded)``
    and ``naive(body)`` (msg/s), with the stored bytes per message of ours and of the limit."""
    lines = []
    for kb in sizes_kb:
        body = newsletter_html(kb * 1000)
        line: dict[str, Any] = {"body_kb": kb, "body_bytes": len(body.encode()), "recipients": size}
        # Each pre-rendered e-mail holds the body and its base64: about 2.4 times the body.
        limit_size = min(size, max(1000, int(LIMIT_MEMORY // (len(body.encode()) * 2.4))))
        line["limit_recipients"] = limit_size
        before = stored_bytes(database)
        limit_runs = [limit(body, limit_size, False)]
        line["limit_stored_per_message"] = round((stored_bytes(database) - before) / limit_size)
        recorded_runs = [limit(body, limit_size, True)]
        before = stored_bytes(database)
        record = ours(body, f"newsletter {kb} KB")
        line["stored_per_message"] = round((stored_bytes(database) - before) / size)
        recorded_runs.append(limit(body, limit_size, True))
        limit_runs.append(limit(body, limit_size, False))
        line["ours"] = record
        line["limit_runs"] = [round(r, 1) for r in limit_runs]
        line["limit"] = round(max(limit_runs), 1)
        line["recorded_limit_runs"] = [round(r, 1) for r in recorded_runs]
        line["recorded_limit"] = round(max(recorded_runs), 1)
        line["recorded_limit_ratio_to_limit"] = round(line["recorded_limit"] / line["limit"], 3)
        line["naive"] = round(naive(body), 1)
        rate = None if record.get("error") else record.get("messages_per_s")
        line["messages_per_s"] = rate
        line["ratio_to_limit"] = round(rate / line["limit"], 3) if rate else None
        line["ratio_to_recorded_limit"] = round(rate / line["recorded_limit"], 3) if rate else None
        line["ratio_to_naive"] = round(rate / line["naive"], 1) if rate and line["naive"] else None
        print(
            f"  newsletter {kb} KB: ours {rate or 0:,.0f} msg/s, limit {line['limit']:,.0f}"
            f" (with records {line['recorded_limit']:,.0f}), naive {line['naive']:,.0f};"
            f" stored {line['stored_per_message']:,} B/msg (limit {line['limit_stored_per_message']:,})",
            flush=True,
        )
        lines.append(line)
    return lines


def _target(name: str, ok: bool | None, detail: str) -> dict[str, Any]:
    return {"target": name, "result": "n/a" if ok is None else ("PASS" if ok else "FAIL"), "detail": detail}


def targets(lines: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Issue 29's targets: >= 0.6 of the limit at 2 and 30 KB, >= 10x naive at 2 KB, <= 1,000 B stored at 2 and 100 KB."""
    by_kb = {line["body_kb"]: line for line in lines}
    out = []
    for kb in (2, 30):
        line = by_kb.get(kb)
        ratio = line and line["ratio_to_limit"]
        out.append(
            _target(
                f"newsletter {kb} KB, 2 workers: >= 0.6 of the limit",
                None if not ratio else ratio >= 0.6,
                f"ratio_to_limit={ratio:.2f} (the limit with records: {line['recorded_limit_ratio_to_limit']:.2f})"
                if ratio
                else f"needs the {kb} KB line",
            )
        )
    line = by_kb.get(2)
    ratio = line and line["ratio_to_naive"]
    out.append(
        _target(
            "newsletter 2 KB: >= 10x naive",
            None if not ratio else ratio >= 10,
            f"ratio_to_naive={ratio:.1f}" if ratio else "needs the 2 KB line",
        )
    )
    for kb in (2, 100):
        line = by_kb.get(kb)
        stored = line and line["stored_per_message"]
        out.append(
            _target(
                f"newsletter {kb} KB: <= 1,000 bytes stored per message",
                None if not line else stored <= 1000,
                f"{stored:,} B/msg (limit line {line['limit_stored_per_message']:,})"
                if line
                else f"needs the {kb} KB line",
            )
        )
    return out


def print_lines(lines: list[dict[str, Any]]) -> None:
    if not lines:
        return
    print(
        "\nnewsletter bodies (2 workers; limit and limit with records (+rec) = higher of two runs around ours;"
        " naive = median of three)"
    )
    print(
        f"{'body':>8} {'N':>8} {'ours':>8} {'limit':>8} {'+rec':>7} {'naive':>7} {'/limit':>7} {'/+rec':>6}"
        f" {'+rec/limit':>10} {'x naive':>8} {'B/msg':>7} {'limit B/msg':>12}"
    )
    for line in lines:
        rate = line["messages_per_s"]
        print(
            f"{line['body_bytes']:>8,} {line['recipients']:>8,} {rate or 0:>8,.0f} {line['limit']:>8,.0f} "
            f"{line['recorded_limit']:>7,.0f} {line['naive']:>7,.0f} {line['ratio_to_limit'] or 0:>7.2f} "
            f"{line['ratio_to_recorded_limit'] or 0:>6.2f} {line['recorded_limit_ratio_to_limit']:>10.2f} "
            f"{line['ratio_to_naive'] or 0:>8.1f} {line['stored_per_message']:>7,} {line['limit_stored_per_message']:>12,}"
        )
