"""Claims on pending messages: take a batch, renew or release it, take over a dead worker's.

A claim is a lease (``claimed_by`` + ``claim_expires_at``) on up to
``BROADCASTS_BATCH_SIZE`` pending messages of a run. Its worker records each message
before sending the next one, so when a claim expires (its worker died) only its
lowest-id pending message can be in doubt: :func:`expire_claims` marks that one
``failed`` with ``outcome_unknown`` (never resent) and releases the rest.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime, timedelta
from operator import attrgetter
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any, cast

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.orm import Session

if TYPE_CHECKING:
    # What an UPDATE or DELETE returns (the ORM Session types it as a plain Result).
    from sqlalchemy import CursorResult

from ..events import publish_campaign
from ..models import utcnow
from ..state import get_state
from ..statuses import ChannelStatus, ErrorCode, MessageStatus
from .runs import add_to_counters, progress_crossed
from .suppression import drop_suppressed
from .tables import OPEN_RUN, PENDING, RUNNING, campaigns, messages, run_messages

log = logging.getLogger(__name__)

#: ``error`` and ``error_code`` of a message whose outcome a dead worker left in doubt.
OUTCOME_UNKNOWN = ErrorCode.OUTCOME_UNKNOWN.value

_CLAIM_COLUMNS = (
    messages.c.id,
    messages.c.organization_id,
    messages.c.recipient_type,
    messages.c.recipient_id,
    messages.c.subject,
    messages.c.body,
    messages.c.body_short,
    messages.c.action_label,
    messages.c.action_url,
    messages.c.bindings,
    messages.c.channels,
    messages.c.email,
    messages.c.mobile,
    messages.c.locale,
    messages.c.mail_status,
    messages.c.sms_status,
    messages.c.tries,
    messages.c.sms_segments,
    messages.c.time_zone,
    messages.c.created_at,  # the time its unsubscribe token is signed at (engine.unsubscribe)
)


def new_claim_token(worker_id: str) -> str:
    """A fresh claim token: the worker's id (cut to 40 characters) and a random suffix."""
    return f"{worker_id[:40]}:{uuid.uuid4().hex[:12]}"


def claim(
    session: Session, campaign_id: int, run_key: str, token: str, limit: int, ttl: float, now: datetime
) -> list[Any]:
    """Claim up to ``limit`` pending, unclaimed messages of a running run, in id order. Commits.

    Each message is a plain object (:class:`~types.SimpleNamespace`) with the claimed
    columns as attributes.

    What the suppression list now leaves out is settled and dropped from the batch
    (:func:`~.suppression.drop_suppressed`): an address suppressed after the run stored its
    messages gets nothing from any batch claimed after that commit. A batch left empty that
    way is followed by the next one, so an empty answer still means nothing is left to claim.
    """
    while True:
        rows = _claim_once(session, campaign_id, run_key, token, limit, ttl, now)
        batch = drop_suppressed(session, campaign_id, run_key, rows)
        if batch or not rows:
            return batch


def _claim_once(
    session: Session, campaign_id: int, run_key: str, token: str, limit: int, ttl: float, now: datetime
) -> list[Any]:
    running = (
        select(campaigns.c.id)
        .where(campaigns.c.id == campaign_id, campaigns.c.status.in_(RUNNING), campaigns.c.run_key == run_key)
        .exists()
    )
    result = session.execute(
        update(messages)
        .where(messages.c.id.in_(claimable(campaign_id, run_key, limit).where(running).scalar_subquery()))
        .values(claimed_by=token, claim_expires_at=now + timedelta(seconds=ttl), attempts=messages.c.attempts + 1)
        .returning(*_CLAIM_COLUMNS)
    )
    # Plain objects, made once: the send path reads some twenty attributes of each message,
    # and a result row's attribute (looked up by name) costs about ten times a plain one's.
    names = tuple(result.keys())
    claimed = [SimpleNamespace(**dict(zip(names, row, strict=True))) for row in result]
    session.commit()
    claimed.sort(key=_by_id)
    return claimed


_by_id = attrgetter("id")


def claimable(campaign_id: int, run_key: str, limit: int) -> Any:
    """The lowest ``limit`` pending, unclaimed message ids of a run, locked (others skipped).

    Written so that only the claim index ``(campaign_id, status, id)`` can answer it, which
    keeps a claim's cost flat over a run. Materialization leaves statistics in which every
    message is pending; with ``status = 'pending'`` and ``ORDER BY id`` PostgreSQL then
    walks the primary key from the run's first message, expecting a match at once, and
    passes every message already sent: each claim cost more than the one before, and a
    run of 100,000 spent more database time claiming than recording outcomes. Spelled as
    a range, the status stays in the ``ORDER BY`` (an equality would be dropped from it as
    constant), and that order is the claim index's own.

    A message deferred by a temporary answer (:mod:`.deferral`) waits until its
    ``retry_at`` (the database's clock: every worker compares with the same one).
    """
    return (
        select(messages.c.id)
        .where(
            run_messages(campaign_id, run_key),
            messages.c.status >= PENDING,
            messages.c.status <= PENDING,
            messages.c.claimed_by.is_(None),
            or_(messages.c.retry_at.is_(None), messages.c.retry_at <= func.now()),
        )
        .order_by(messages.c.status, messages.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )


def release(session: Session, token: str, *, delete_them: bool) -> int:
    """Give back the still-pending messages of a claim, or delete them; return how many. Commits.

    Deleting is for a stopped run, whose unsent messages must not be sent later.
    """
    where = and_(messages.c.claimed_by == token, messages.c.status == PENDING)
    if delete_them:
        count = cast("CursorResult[Any]", session.execute(delete(messages).where(where))).rowcount
    else:
        count = cast(
            "CursorResult[Any]",
            session.execute(update(messages).where(where).values(claimed_by=None, claim_expires_at=None)),
        ).rowcount
    session.commit()
    return count or 0


def renew(session: Session, token: str, ttl: float) -> bool:
    """Extend the claim's pending messages by ``ttl`` seconds from now. Commits.

    ``False`` when none of them is held under ``token`` any more (the claim was lost).
    """
    count = cast(
        "CursorResult[Any]",
        session.execute(
            update(messages)
            .where(messages.c.claimed_by == token, messages.c.status == PENDING)
            .values(claim_expires_at=utcnow() + timedelta(seconds=ttl))
        ),
    ).rowcount
    session.commit()
    return bool(count)


# -- dead claims ------------------------------------------------------------------------------


def expire_claims(
    session: Session, *, campaign_id: int | None = None, run_key: str | None = None, now: datetime | None = None
) -> int:
    """Take over expired claims: the lowest pending message of each is ``outcome_unknown``, the rest released.

    Returns how many messages were marked ``outcome_unknown``. Commits.
    """
    state = get_state()
    now = now or utcnow()
    where = [messages.c.status == PENDING, messages.c.claimed_by.is_not(None), messages.c.claim_expires_at < now]
    if campaign_id is not None:
        where.append(messages.c.campaign_id == campaign_id)
    if run_key is not None:
        where.append(messages.c.run_key == run_key)
    claims = session.execute(
        select(messages.c.claimed_by, func.min(messages.c.id)).where(*where).group_by(messages.c.claimed_by)
    ).all()
    session.rollback()
    doubtful = 0
    for token, first_id in claims:
        message = session.execute(
            select(messages.c.channels, messages.c.mail_status, messages.c.sms_status, messages.c.campaign_id).where(
                messages.c.id == first_id
            )
        ).first()
        values: dict[str, Any] = {}
        if message is not None:
            if "mail" in (message.channels or []) and message.mail_status is None:
                values["mail_status"] = ChannelStatus.UNKNOWN.value
            if "sms" in (message.channels or []) and message.sms_status is None:
                values["sms_status"] = ChannelStatus.UNKNOWN.value
        marked = cast(
            "CursorResult[Any]",
            session.execute(
                update(messages)
                .where(messages.c.id == first_id, messages.c.claimed_by == token, messages.c.status == PENDING)
                .values(
                    status=MessageStatus.FAILED.value,
                    error=OUTCOME_UNKNOWN,
                    error_code=OUTCOME_UNKNOWN,
                    claimed_by=None,
                    claim_expires_at=None,
                    **values,
                )
            ),
        ).rowcount
        row = None
        if marked and message is not None:
            doubtful += 1
            row = add_to_counters(session, message.campaign_id, failed=1)
        if row is None and message is not None:
            row_status = session.execute(
                select(campaigns.c.status).where(campaigns.c.id == message.campaign_id)
            ).scalar()
            stopped = row_status not in OPEN_RUN
        else:
            # A paused campaign keeps its unsent messages: released, like a running one's.
            stopped = row is not None and row.status not in OPEN_RUN
        rest = and_(messages.c.claimed_by == token, messages.c.status == PENDING)
        if stopped:
            session.execute(delete(messages).where(rest))
        else:
            session.execute(update(messages).where(rest).values(claimed_by=None, claim_expires_at=None))
        session.commit()
        if progress_crossed(row, 1, state.settings.event_every):
            publish_campaign(state.publisher, row)
        log.warning("took over expired claim %s (message %s outcome unknown)", token, first_id if marked else None)
    return doubtful
