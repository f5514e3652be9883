"""Materialize a run: evaluate the audience, render each recipient once, store ``pending`` messages.

The audience is read in chunks of ``BROADCASTS_INSERT_CHUNK`` (never the whole list of
ORM objects), rendered with one :class:`~flask_broadcasts.rendering.CompiledTemplate`
per run and inserted so that the exactly-once key decides (:mod:`.message_insert`), so a
restarted run reaches only recipients not yet stored. A send job is queued as each chunk lands,
so the first e-mails leave while later chunks are still being read.

Only one worker materializes a run at a time: it holds a lease on the
``broadcast_runs`` row, renewed per chunk; the recovery sweep re-queues a run whose
lease expired before it was materialized.
"""

from __future__ import annotations

import logging
import operator
from array import array
from collections.abc import Generator, Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, tuple_, update
from sqlalchemy.orm import Session

from ..events import publish_campaign
from ..models import BroadcastAudience, BroadcastTemplate, utcnow
from ..services.message_texts import RunContent, store_run_content
from ..state import get_state
from ..statuses import CampaignStatus, MessageStatus, StatusReason
from ..webhooks.messages import listening
from .completion import complete_run_if_done
from .consent import Consenting, consenting
from .message_insert import Copying, analyze_messages, insert_rows
from .recipients import audience_recipients, message_values, template_content
from .report_counts import recount_run
from .runs import add_to_counters, change_run_status, change_status, progress_crossed, run_figures
from .suppression import apply_to_values as apply_suppressions
from .tables import RUNNING, campaigns, messages, run_messages, runs
from .windows import RunTiming

log = logging.getLogger(__name__)


def _chunks(
    session: Session, with_consent: Consenting, size: int
) -> Generator[list[tuple[Any, Mapping[str, bool] | None]], None, None]:
    """Recipients in chunks of ``size``, each with its opt-in's answers (:mod:`.consent`);
    never more than one chunk of ORM objects alive.

    The ids come first, then each chunk is loaded in a short transaction of its own (the
    host's statement again, limited to the chunk's ids, so a recipient who no longer
    matches is left out). No cursor stays open across the run: on PostgreSQL a cursor
    held for the whole materialization (seconds at 100,000 recipients, minutes at
    millions) holds one snapshot that long, and while it lives no dead row version in
    the database can be cleaned up — each claim then walked every superseded index entry
    of the messages already sent (50 ms instead of a few). On SQLite a reader holding a
    cursor would block the writer's commits.
    """
    engine = session.get_bind()
    stmt = with_consent.stmt
    entity = stmt.column_descriptions[0]["entity"]
    key = entity.__mapper__.primary_key[0]
    key_of = operator.attrgetter(entity.__mapper__.get_property_by_column(key).key)
    with Session(engine) as reader:  # a snapshot for as long as reading the ids takes
        ids = _compact(reader.execute(stmt.with_only_columns(key).execution_options(yield_per=10_000)).scalars())
    for start in range(0, len(ids), size):
        wanted = list(ids[start : start + size])
        with Session(engine) as reader:
            # No expunge: the identity map holds unmodified objects weakly, so a chunk and
            # what it loaded (a booking's customer) go once the caller drops it.
            read = (with_consent.read(row) for row in reader.execute(stmt.where(key.in_(wanted))).unique())
            loaded = {key_of(recipient): (recipient, consent) for recipient, consent in read}
            yield [loaded[i] for i in wanted if i in loaded]


def _compact(keys: Iterable[Any]) -> Sequence[Any]:
    """Integer keys in an ``array('q')``: 8 bytes each instead of 36 in a list, so a million
    recipients' ids take 8 MB of a worker's memory. Any other key type stays in a list."""
    packed = array("q")
    values = iter(keys)
    for value in values:
        if type(value) is not int:
            return [*packed, value, *values]
        packed.append(value)
    return packed


def _take_lease(session: Session, campaign_id: int, run_key: str, worker_id: str, now: datetime) -> bool:
    ttl = get_state().settings.claim_ttl
    row = session.execute(
        update(runs)
        .where(
            runs.c.campaign_id == campaign_id,
            runs.c.run_key == run_key,
            runs.c.materialized_at.is_(None),
            (runs.c.claimed_by.is_(None)) | (runs.c.claim_expires_at < now) | (runs.c.claimed_by == worker_id),
        )
        .values(claimed_by=worker_id, claim_expires_at=now + timedelta(seconds=ttl))
        .returning(runs.c.id)
    ).first()
    session.commit()
    return row is not None


def materialize_run(campaign_id: int, run_key: str, worker_id: str) -> int:
    """Store the run's messages; return how many were inserted (``-1`` when another worker holds the run)."""
    state = get_state()
    session, settings, publisher = state.session, state.settings, state.publisher
    now = utcnow()
    if not _take_lease(session, campaign_id, run_key, worker_id, now):
        return -1
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.IN_PROGRESS,
        only_from=(CampaignStatus.PENDING,),
        where=[campaigns.c.run_key == run_key],
    )
    session.commit()
    if row is not None:
        publish_campaign(publisher, row)
    campaign = session.execute(select(campaigns).where(campaigns.c.id == campaign_id)).first()
    if campaign is None or campaign.status not in RUNNING or campaign.run_key != run_key:
        _release_lease(session, campaign_id, run_key, worker_id)
        return 0
    inserted_total = 0
    try:
        template = session.get(BroadcastTemplate, campaign.template_id)
        audience = session.get(BroadcastAudience, campaign.audience_id)
        assert template is not None and audience is not None  # the campaign's foreign keys
        # The same compile and render as the preview (engine.recipients), so what was
        # previewed is what is sent. The content is stored once for the run, each message
        # only its bindings (services.message_texts); a takeover renders what was stored.
        content = store_run_content(session, campaign.organization_id, campaign_id, run_key, template_content(template))
        source, stmt = audience_recipients(audience)
        base = {
            "organization_id": campaign.organization_id,
            "campaign_id": campaign_id,
            "run_key": run_key,
            "attempts": 0,
            "tries": 0,
        }
        chunks = _chunks(session, consenting(source, stmt), settings.insert_chunk)
        copying = Copying()
        analyzed_at: int | None = None  # how many rows the run had at its first ANALYZE
        # Quiet hours and local delivery times: when each message may go (engine.windows).
        timing = RunTiming.of(campaign, settings)
        for number, recipients in enumerate(chunks):
            created = utcnow()
            rows = [_row(base, content, r, source, consent, timing, created) for r, consent in recipients]
            del recipients
            apply_suppressions(session, campaign.organization_id, rows)
            inserted = _store_chunk(session, campaign_id, run_key, worker_id, rows, copying)
            if inserted is None:  # stopped
                chunks.close()
                _release_lease(session, campaign_id, run_key, worker_id)
                return inserted_total
            inserted_total += inserted
            if inserted:
                # Sending starts while the rest lands: one more send job whenever a worker
                # took the last one. Never a queue of them — a job that starts after the
                # run is done still forks a work horse and queries, and 100 such jobs
                # delay the next campaign by seconds.
                if not state.dispatcher.has_waiting_send(campaign_id, run_key):
                    state.dispatcher.send(campaign_id, run_key, tag=f"m{number}")
                if analyzed_at is None:
                    # The first pages are read while the rest lands. After the send job is
                    # queued: an ANALYZE of a big table takes 0.2 s, which sending need not wait.
                    analyze_messages(session)
                    analyzed_at = inserted_total
    except Exception as exc:  # the host's source or the template failed: the campaign fails, visibly
        session.rollback()
        log.exception("materializing campaign %s run %s failed", campaign_id, run_key)
        _fail(session, campaign_id, run_key, f"audience or template failed: {exc}"[:500])
        return inserted_total
    # The campaign's row first, as a stop locks it (then the messages, then the run's row):
    # the run's row first deadlocked with a stop at this moment (seen in the load test).
    figures = run_figures(campaign_id, run_key)
    row = session.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.run_key == run_key)
        .values(total_count=figures["total_count"], suppressed_count=figures["suppressed_count"], updated_at=utcnow())
        .returning(*campaigns.c)
    ).first()
    change_run_status(
        session,
        campaign_id,
        run_key,
        CampaignStatus.IN_PROGRESS,
        materialized_at=utcnow(),
        claimed_by=None,
        claim_expires_at=None,
    )
    # The report counts what the run settled while storing it (suppressed, no channel...).
    recount_run(session, campaign_id, run_key)
    if row is not None:
        # Published before the commit, while this transaction holds the campaign's row: a
        # send job in another worker, already sending, changes the row next (``throttled``,
        # its counts) and publishes after it. Published after the commit, this older row
        # could arrive last and show a throttled campaign as not throttled (seen in CI).
        publish_campaign(publisher, row)
    session.commit()
    if inserted_total > 2 * (analyzed_at or 0):
        # Again only when the run grew past twice what the first one saw: the plans that
        # matter tell a handful of rows from thousands, and 0.2 s here keeps this
        # worker from the run's sending (a 2,000-message run is 4 s in all at 10 ms a reply).
        analyze_messages(session)
    complete_run_if_done(session, campaign_id, run_key, publisher)
    return inserted_total


def _row(
    base: dict[str, Any],
    content: RunContent,
    recipient: Any,
    source: Any,
    consent: Mapping[str, bool] | None,
    timing: RunTiming,
    created: datetime,
) -> dict[str, Any]:
    values = {**base, **message_values(content.compiled, recipient, source, consent, content=content)}
    values["created_at"] = created
    values.update(timing.values(values, getattr(recipient, "broadcast_timezone", None), created))
    return values


def _store_chunk(
    session: Session, campaign_id: int, run_key: str, worker_id: str, rows: list[dict[str, Any]], copying: Copying
) -> int | None:
    """Insert one chunk if the campaign still runs this run (else ``None``). Commits."""
    state = get_state()
    # Lock the campaign row first: a concurrent stop either ran before (we see it and
    # insert nothing) or waits for this commit (and then deletes what we inserted).
    alive = session.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(RUNNING), campaigns.c.run_key == run_key)
        .values(updated_at=utcnow())
        .returning(campaigns.c.id)
    ).first()
    if alive is None:
        session.rollback()
        return None
    statuses = insert_rows(session, rows, copying)
    failed = sum(1 for s in statuses if s == MessageStatus.FAILED.value)
    row = add_to_counters(session, campaign_id, failed=failed, total=len(statuses)) if statuses else None
    now = utcnow()
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.claimed_by == worker_id)
        .values(claim_expires_at=now + timedelta(seconds=state.settings.claim_ttl))
    )
    session.commit()
    if progress_crossed(row, failed, state.settings.event_every):
        publish_campaign(state.publisher, row)
    if failed:
        _announce_failed(session, campaign_id, run_key, rows)
    return len(statuses)


def _announce_failed(session: Session, campaign_id: int, run_key: str, rows: list[dict[str, Any]]) -> None:
    """``message.failed`` for the chunk's messages stored failed (no channel, an unusable number,
    suppressed) — only when a receiver or a webhook wants them: their ids cost one more query."""
    events = listening(session, campaign_id, run_key)
    if events is None:
        return
    keys = [(r["recipient_type"], str(r["recipient_id"])) for r in rows if r["status"] == MessageStatus.FAILED.value]
    stored = session.execute(
        select(messages.c.id, messages.c.error_code).where(
            run_messages(campaign_id, run_key),
            messages.c.status == MessageStatus.FAILED.value,
            tuple_(messages.c.recipient_type, messages.c.recipient_id).in_(keys),
        )
    ).all()
    session.rollback()
    for message_id, error_code in stored:
        events.message(message_id, MessageStatus.FAILED, error_code)
    events.flush(session)


def _release_lease(session: Session, campaign_id: int, run_key: str, worker_id: str) -> None:
    session.execute(
        update(runs)
        .where(runs.c.campaign_id == campaign_id, runs.c.run_key == run_key, runs.c.claimed_by == worker_id)
        .values(claimed_by=None, claim_expires_at=None)
    )
    session.commit()


def _fail(session: Session, campaign_id: int, run_key: str, reason: str) -> None:
    """Fail the run: the campaign says ``source_failed`` (one vocabulary), its run row says why."""
    row = change_status(
        session,
        campaign_id,
        CampaignStatus.FAILED,
        only_from=(CampaignStatus.PENDING, CampaignStatus.IN_PROGRESS),
        where=[campaigns.c.run_key == run_key],
        status_reason=StatusReason.SOURCE_FAILED.value,
        completed_at=utcnow(),
    )
    change_run_status(
        session,
        campaign_id,
        run_key,
        CampaignStatus.FAILED,
        status_reason=reason,
        claimed_by=None,
        claim_expires_at=None,
    )
    session.commit()
    if row is not None:
        publish_campaign(get_state().publisher, row)
