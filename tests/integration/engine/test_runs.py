"""flask_broadcasts.engine.runs: every campaign status move, the counters, opening a run.

In process on the suite's database (SQLite, or PostgreSQL with ``DATABASE_URL``), with a
recording dispatcher: what the guarded UPDATEs answer is what the API and the progress
events show, so each is checked against the rows it leaves.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.runs import (
    add_to_counters,
    change_status,
    launch_run,
    progress_crossed,
    reconcile_stopped_run,
)
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, BroadcastRun
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, make_campaign


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    get_state(app).dispatcher = recording
    return recording


def _session():
    from tests.support.hostapp import db

    return db.session


def test_change_status_moves_only_along_the_transitions_table(app) -> None:
    session = _session()
    campaign_id = make_campaign()

    assert change_status(session, campaign_id, CampaignStatus.COMPLETED) is None  # draft → completed: not a move
    session.rollback()
    assert campaign_row(campaign_id).status == "draft"

    row = change_status(session, campaign_id, CampaignStatus.PENDING, status_reason=None)
    session.commit()
    assert row is not None and row.status == "pending"  # the row as the database answered it
    assert campaign_row(campaign_id).status == "pending"


def test_only_from_and_where_narrow_the_move(app) -> None:
    session = _session()
    campaign_id = make_campaign()

    assert change_status(session, campaign_id, CampaignStatus.PENDING, only_from=(CampaignStatus.SCHEDULED,)) is None
    other_tenant = [BroadcastCampaign.__table__.c.organization_id == "someone-else"]
    assert change_status(session, campaign_id, CampaignStatus.PENDING, where=other_tenant) is None
    session.rollback()
    assert campaign_row(campaign_id).status == "draft"


def test_counters_add_atomically_and_answer_the_row_after(app) -> None:
    session = _session()
    campaign_id = make_campaign()

    add_to_counters(session, campaign_id, total=10)
    add_to_counters(session, campaign_id, sent=3)
    row = add_to_counters(session, campaign_id, sent=4, failed=1)
    session.commit()

    assert (row.sent_count, row.failed_count, row.total_count) == (7, 1, 10)
    stored = campaign_row(campaign_id)
    assert (stored.sent_count, stored.failed_count, stored.total_count) == (7, 1, 10)


def test_progress_is_published_when_sent_plus_failed_crosses_a_multiple_of_the_interval(app) -> None:
    session = _session()
    campaign_id = make_campaign()
    add_to_counters(session, campaign_id, sent=8)
    row = add_to_counters(session, campaign_id, sent=3)  # 8 → 11 crosses 10
    session.commit()

    assert progress_crossed(row, 3, 10)
    assert not progress_crossed(row, 1, 10)  # 10 → 11 does not
    assert not progress_crossed(row, 0, 10)
    assert not progress_crossed(None, 3, 10)


def test_a_recurring_fire_time_opens_one_run_however_often_it_is_launched(app, dispatcher) -> None:
    session = _session()
    campaign_id = make_campaign()

    assert launch_run(campaign_id, "2026-03-01T09:00:00Z", None) is True
    assert launch_run(campaign_id, "2026-03-01T09:00:00Z", None) is False

    runs = session.scalars(sa.select(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id)).all()
    assert [r.run_key for r in runs] == ["2026-03-01T09:00:00Z"]
    assert campaign_row(campaign_id).runs_count == 1
    assert dispatcher.queued == [("materialize", campaign_id, "2026-03-01T09:00:00Z")]


def test_the_one_off_run_reopens_with_counters_from_its_messages_already_sent(app, dispatcher) -> None:
    campaign_id = make_campaign()
    assert launch_run(campaign_id, "once", None) is True
    _add_messages(campaign_id, "once", completed=3, failed=1)

    assert launch_run(campaign_id, "once", None) is True  # a new start after a stop

    row = campaign_row(campaign_id)
    assert (row.runs_count, row.sent_count, row.failed_count, row.total_count) == (1, 3, 1, 4)
    assert [kind for kind, *_ in dispatcher.queued] == ["materialize", "materialize"]


def test_a_stopped_run_is_recounted_from_its_messages_only_while_it_is_the_stopped_draft(app, dispatcher) -> None:
    session = _session()
    campaign_id = make_campaign()
    launch_run(campaign_id, "once", None)
    _add_messages(campaign_id, "once", completed=5, failed=2)

    row = reconcile_stopped_run(session, campaign_id, "once", None)  # the campaign is the draft of run "once"
    assert (row.sent_count, row.failed_count, row.total_count) == (5, 2, 7)

    session.execute(
        sa.update(BroadcastCampaign.__table__).where(BroadcastCampaign.id == campaign_id).values(status="pending")
    )
    session.commit()
    _add_messages(campaign_id, "once", completed=1, failed=0, first=100)
    assert reconcile_stopped_run(session, campaign_id, "once", None) is None  # started again: not a stopped run
    assert campaign_row(campaign_id).sent_count == 5


def _add_messages(campaign_id: int, run_key: str, *, completed: int, failed: int, first: int = 1) -> None:
    session = _session()
    statuses = ["completed"] * completed + ["failed"] * failed
    session.add_all(
        BroadcastMessage(
            organization_id=ORG,
            campaign_id=campaign_id,
            run_key=run_key,
            recipient_type="customers",
            recipient_id=str(first + i),
            customer_id=str(first + i),
            subject="S",
            body="B",
            channels=["mail"],
            email=f"c{first + i}@example.test",
            status=status,
        )
        for i, status in enumerate(statuses)
    )
    session.commit()
