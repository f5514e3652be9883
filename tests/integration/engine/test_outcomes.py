"""flask_broadcasts.engine.outcomes: each message's outcome is recorded before the next is handed over.

What a user relies on: a record is visible to every other session at once (a killed worker
leaves at most one message in doubt) while the campaign's counters move only at a flush, by
exactly the outcomes recorded; after a pause or a stop has committed, the next message is
never handed over (:class:`CampaignHalted`); a deferred message goes back to the queue,
pending and unclaimed until its ``retry_at``, without moving a counter. On PostgreSQL the
records go over the recorder's own asynchronous connection, on SQLite through the session.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import pause_campaign, stop_campaign
from flask_broadcasts.engine.outcomes import CampaignHalted, OutcomeRecorder
from flask_broadcasts.models import BroadcastMessage, utcnow
from flask_broadcasts.statuses import MessageStatus
from tests.support.fixtures import (
    ORG,
    campaign_row,
    claimed_run,
    message_ids,
    set_config,
)
from tests.support.host import db


@pytest.fixture
def recorder(app, env):
    # No flush before the test asks for one.
    set_config(env, app, BROADCASTS_COUNTER_FLUSH=100, BROADCASTS_EVENT_EVERY=100)
    campaign_id = claimed_run(3)  # claimed by "test-claim", as a batch holds them
    recorder = OutcomeRecorder(db.session, campaign_id, "once", "test-claim")
    yield recorder
    recorder.close()


def _seen_by_another_session(message_id: int):
    with db.engine.connect() as other:
        return other.execute(
            sa.select(
                BroadcastMessage.status,
                BroadcastMessage.mail_status,
                BroadcastMessage.claimed_by,
                BroadcastMessage.tries,
            ).where(BroadcastMessage.id == message_id)
        ).one()


def test_a_record_is_visible_at_once_and_the_counters_move_at_the_flush(recorder):
    first, second, _ = message_ids(recorder.campaign_id)

    recorder.record(first, MessageStatus.COMPLETED, mail_status="sent")
    recorder.before_handover()  # the next message's final bytes may go: its record is in
    assert tuple(_seen_by_another_session(first)[:2]) == ("completed", "sent")
    recorder.record(second, MessageStatus.FAILED, error="mail: 550 no", error_code="refused", mail_status="refused")
    assert (campaign_row(recorder.campaign_id).sent_count, campaign_row(recorder.campaign_id).failed_count) == (0, 0)

    recorder.flush()

    row = campaign_row(recorder.campaign_id)
    assert (row.sent_count, row.failed_count) == (1, 1)
    assert (recorder.result.sent, recorder.result.failed, recorder.result.remaining) == (1, 1, 1)
    assert _seen_by_another_session(second).status == "failed"


def test_after_a_pause_the_next_message_is_never_handed_over(app, recorder):
    first, second, _ = message_ids(recorder.campaign_id)
    recorder.record(first, MessageStatus.COMPLETED, mail_status="sent")
    recorder.before_handover()

    pause_campaign(ORG, recorder.campaign_id)
    recorder.record(second, MessageStatus.COMPLETED, mail_status="sent")  # in flight when the pause committed

    with pytest.raises(CampaignHalted):
        recorder.before_handover()
    assert recorder.paused and not recorder.stopped


def test_after_a_stop_the_batch_is_over(app, recorder):
    first, _, _ = message_ids(recorder.campaign_id)
    stop_campaign(ORG, recorder.campaign_id)

    recorder.record(first, MessageStatus.COMPLETED, mail_status="sent")

    with pytest.raises(CampaignHalted):
        recorder.before_handover()
    assert recorder.stopped and not recorder.paused


def test_a_deferred_message_goes_back_to_the_queue_without_moving_a_counter(recorder):
    first, _, _ = message_ids(recorder.campaign_id)
    retry_at = utcnow() + timedelta(minutes=5)

    recorder.defer(first, tries=1, retry_at=retry_at, error="mail: 451 greylisted")
    recorder.flush()

    assert tuple(_seen_by_another_session(first)) == ("pending", None, None, 1)
    row = campaign_row(recorder.campaign_id)
    assert (row.sent_count, row.failed_count) == (0, 0)
