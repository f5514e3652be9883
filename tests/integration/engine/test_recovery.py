"""flask_broadcasts.engine.recovery: the sweep that finishes what dead workers left.

In process, on the suite's database, with a recording dispatcher in place of RQ: each test
leaves the state a crashed worker (or a lost job) would leave, and checks what one sweep
does about it — and that a second sweep does nothing more.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.claims import claim
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.recovery import recover
from flask_broadcasts.models import BroadcastMessage, BroadcastSentEmail, utcnow
from flask_broadcasts.services.message_texts import fill_texts
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers

N = 12


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    get_state(app).dispatcher = recording
    return recording


def _messages(campaign_id: int) -> list[BroadcastMessage]:
    from tests.support.hostapp import db

    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id).order_by(BroadcastMessage.id)
        )
    )


def _started(dispatcher: RecordingDispatcher, *, materialized: bool = True) -> int:
    seed_customers(N)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    if materialized:
        assert materialize_run(campaign_id, "once", "worker-a") == N
    dispatcher.queued.clear()
    return campaign_id


def test_a_run_whose_materialization_job_was_lost_is_materialized_again(app, dispatcher) -> None:
    campaign_id = _started(dispatcher, materialized=False)

    report = recover()

    assert report.materialize_requeued == [campaign_id]
    assert dispatcher.queued == [("materialize", campaign_id, "once")]


def test_pending_messages_with_no_send_job_get_one_and_only_one_per_sweep(app, dispatcher) -> None:
    campaign_id = _started(dispatcher)

    assert recover().send_requeued == [campaign_id]
    assert dispatcher.queued == [("send", campaign_id, "once")]


def test_a_dead_workers_claim_marks_only_its_first_message_unknown_and_releases_the_rest(app, dispatcher) -> None:
    from tests.support.hostapp import db

    campaign_id = _started(dispatcher)
    past = utcnow() - timedelta(minutes=5)
    claimed = claim(db.session, campaign_id, "once", "dead-worker.1", 5, 60, past)  # expired 4 minutes ago
    assert len(claimed) == 5

    report = recover()

    rows = _messages(campaign_id)
    unknown = [m for m in rows if m.status == "failed"]
    assert report.outcome_unknown == 1
    assert [m.id for m in unknown] == [claimed[0].id]  # the lowest id of the claim, never resent
    assert unknown[0].error_code == "outcome_unknown" and unknown[0].mail_status == "unknown"
    assert all(m.claimed_by is None for m in rows)
    assert sum(m.status == "pending" for m in rows) == N - 1
    assert campaign_row(campaign_id).failed_count == 1
    assert recover().outcome_unknown == 0  # the next sweep has nothing left to take over


def test_a_run_with_nothing_pending_is_completed_with_counters_from_its_messages(app, dispatcher) -> None:
    from tests.support.hostapp import db

    campaign_id = _started(dispatcher)
    ids = [m.id for m in _messages(campaign_id)]
    db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id.in_(ids[:-2])).values(status="completed"))
    db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id.in_(ids[-2:])).values(status="failed"))
    db.session.commit()

    report = recover()

    row = campaign_row(campaign_id)
    assert report.completed == [campaign_id]
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", N - 2, 2, N)
    assert dispatcher.queued == []
    assert recover().completed == []


def test_a_sent_email_whose_row_was_never_written_gets_one_with_its_message_id(app, dispatcher) -> None:
    from tests.support.hostapp import db

    campaign_id = _started(dispatcher)
    first = _messages(campaign_id)[0]
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.id == first.id)
        .values(status="completed", mail_status="sent", sent_at=utcnow())
    )
    db.session.commit()

    report = recover()

    rows = db.session.scalars(sa.select(BroadcastSentEmail)).all()
    assert report.sent_emails_filled == 1
    assert [r.message_id for r in rows] == [first.id]
    assert rows[0].recipient == first.email
    # the Message-ID the e-mail went out with (the same scheme as the send)
    assert rows[0].message_id_header.startswith(f"<broadcast.{campaign_id}.once.customers.{first.recipient_id}@")
    # The message stores only its bindings: the row's subject is rendered, as the API shows it.
    assert first.subject is None and first.bindings is not None
    fill_texts(db.session, [first])
    assert rows[0].subject == first.subject and rows[0].subject.startswith("Hello ") and "{" not in rows[0].subject
    assert recover().sent_emails_filled == 0
