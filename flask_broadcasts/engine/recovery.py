"""The recovery sweep: finish what dead workers left, without waiting for RQ.

Run every ``BROADCASTS_RECOVERY_INTERVAL`` seconds by the scheduler (fixed job id
``broadcasts-recover`` on the default queue) and by ``flask broadcasts recover``. Idempotent and safe to run
concurrently with workers and with itself: every step is a guarded UPDATE.

1. Expired message claims: the lowest pending message of each is ``outcome_unknown``,
   the rest released (or deleted when the campaign was stopped).
2. Sent e-mails whose ``broadcast_sent_emails`` row was not written yet (a worker died
   between its per-message record and its next flush) get one.
3. Runs of running campaigns: not materialized and no live materializer → queue the
   materialization again; pending unclaimed messages due now (a deferred one waits for its
   ``retry_at``) and no waiting send job → queue one;
   nothing pending → complete the run.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import and_, exists, or_, select

from ..channels.base import RetryLater
from ..channels.mime import MimeBuilder
from ..models import utcnow
from ..services.message_texts import RunContents
from ..state import get_state
from ..statuses import ChannelStatus
from .claims import expire_claims
from .completion import complete_run_if_done
from .expiry import expire_due_runs
from .run_mime import mime_builder
from .schedule_recovery import recover_schedules
from .tables import PENDING, RUNNING, campaigns, dialect_insert, messages, run_messages, runs, sent_emails

log = logging.getLogger(__name__)


@dataclass
class RecoveryReport:
    """What one sweep did (printed as JSON by ``flask broadcasts recover``)."""

    outcome_unknown: int = 0
    sent_emails_filled: int = 0
    materialize_requeued: list[int] = field(default_factory=list)
    send_requeued: list[int] = field(default_factory=list)
    completed: list[int] = field(default_factory=list)
    #: Campaigns whose run was past its ``expires_at`` (its unsent messages expired).
    expired: list[int] = field(default_factory=list)
    schedules: Any = None


def fill_missing_sent_emails(limit: int = 10_000) -> int:
    """Write the missing ``broadcast_sent_emails`` rows of sent e-mails (step 2); return how many."""
    state = get_state()
    session = state.session
    missing = session.execute(
        select(
            messages.c.id,
            messages.c.organization_id,
            messages.c.campaign_id,
            messages.c.run_key,
            messages.c.recipient_type,
            messages.c.recipient_id,
            messages.c.email,
            messages.c.subject,
            messages.c.bindings,
            messages.c.locale,
            messages.c.sent_at,
        )
        .where(
            messages.c.mail_status == ChannelStatus.SENT.value,
            ~exists().where(sent_emails.c.message_id == messages.c.id),
        )
        .limit(limit)
    ).all()
    rows = []
    unavailable: set[tuple[int, str]] = set()
    contents = RunContents(session)
    builders: dict[tuple[int, str], MimeBuilder] = {}  # one lookup per run, not per row
    for m in missing:
        if (m.campaign_id, m.run_key) in unavailable:
            continue
        try:
            builder = builders.get((m.campaign_id, m.run_key))
            if builder is None:
                builder = builders[m.campaign_id, m.run_key] = mime_builder(session, m.campaign_id, m.run_key)
        except RetryLater as exc:  # no sender, or the file storage cannot read an attachment
            log.warning(
                "campaign %s run %s: sent-e-mail rows left to the next sweep: %s", m.campaign_id, m.run_key, exc
            )
            unavailable.add((m.campaign_id, m.run_key))
            continue
        rows.append(
            {
                "organization_id": m.organization_id,
                "message_id": m.id,
                "message_id_header": builder.message_id(m.recipient_type, m.recipient_id),
                "sender": builder.envelope_from,
                "recipient": m.email or "",
                "subject": contents.text_of(m, "subject"),
                "sent_at": m.sent_at or utcnow(),
                "response": None,
            }
        )
    if rows:
        session.execute(
            dialect_insert(session)(sent_emails).on_conflict_do_nothing(index_elements=["message_id"]), rows
        )
    session.commit()
    return len(rows)


def recover(*, now: datetime | None = None) -> RecoveryReport:
    """One sweep (see the module docstring)."""
    state = get_state()
    session, dispatcher = state.session, state.dispatcher
    now = now or utcnow()
    report = RecoveryReport()
    report.outcome_unknown = expire_claims(session, now=now)
    # Past their send-by: runs no send job visits (paused, throttled, waiting for a window) too.
    report.expired = expire_due_runs(session, state.publisher, now=now)
    report.sent_emails_filled = fill_missing_sent_emails()
    live = session.execute(
        select(campaigns.c.id, campaigns.c.run_key, runs.c.materialized_at, runs.c.claimed_by, runs.c.claim_expires_at)
        .join(runs, and_(runs.c.campaign_id == campaigns.c.id, runs.c.run_key == campaigns.c.run_key))
        .where(campaigns.c.status.in_(RUNNING))
    ).all()
    session.rollback()
    for campaign_id, run_key, materialized_at, materializer, lease_until in live:
        if materialized_at is None:
            lease_alive = materializer is not None and lease_until is not None and _aware(lease_until) >= now
            if not lease_alive:
                dispatcher.materialize(campaign_id, run_key)
                report.materialize_requeued.append(campaign_id)
            continue
        unclaimed = session.execute(
            select(
                exists().where(
                    run_messages(campaign_id, run_key),
                    messages.c.status == PENDING,
                    messages.c.claimed_by.is_(None),
                    # A deferred message waits for its retry_at (then this queues its job, if lost).
                    or_(messages.c.retry_at.is_(None), messages.c.retry_at <= now),
                )
            )
        ).scalar()
        session.rollback()
        if unclaimed:
            if not dispatcher.has_waiting_send(campaign_id, run_key):
                dispatcher.send(campaign_id, run_key, tag="recovery")
                report.send_requeued.append(campaign_id)
        elif complete_run_if_done(session, campaign_id, run_key, state.publisher, now=now) is not None:
            report.completed.append(campaign_id)
    report.schedules = recover_schedules(now=now)
    log.info("recovery: %s", report)
    return report


def _aware(value: datetime) -> datetime:

    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)
