"""flask_broadcasts.engine.retry: the ``retry`` of a completed campaign's last run, called directly.

What an operator relies on: ``retryable_count`` says how many messages a retry would send
again, and the retry reopens exactly those; a channel of theirs that was accepted stays
accepted (never sent twice), the counters and the report are counted again from the
messages, and of two retries at once (a double click) only one reopens the run.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.completion import complete_run_if_done
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.report_counts import read
from flask_broadcasts.engine.retry import retry_campaign, retryable_count
from flask_broadcasts.errors import ConflictError
from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db

# The run's three messages in id order: what each ended as.
SENT = {"status": "completed", "mail_status": "sent"}
GREY = {"status": "failed", "error_code": "temporary_failure", "mail_status": "refused", "error": "mail: 451"}
HALF = {"status": "failed", "error_code": "temporary_failure", "mail_status": "sent", "sms_status": "refused"}
UNKNOWN = {"status": "failed", "error_code": "outcome_unknown", "mail_status": "unknown"}


def _completed_run(app, *outcomes: dict) -> tuple[int, list[int]]:
    """A one-off campaign whose run ended with ``outcomes``, completed as the engine completes it."""
    seed_customers(len(outcomes))
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    ids = list(
        db.session.scalars(
            sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign_id).order_by("id")
        )
    )
    for message_id, values in zip(ids, outcomes, strict=True):
        db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id == message_id).values(**values))
    db.session.commit()
    assert complete_run_if_done(db.session, campaign_id, "once", None).status == "completed"
    state = get_state(app)
    state.dispatcher, state.publisher = RecordingDispatcher(), RecordingPublisher()
    return campaign_id, ids


def _message(message_id: int) -> BroadcastMessage:
    db.session.expire_all()
    return db.session.get(BroadcastMessage, message_id)


def _report(campaign_id: int) -> dict[tuple[str, str, str], int]:
    return {(channel, metric, key): n for _, channel, metric, key, n in read(db.session, campaign_id) if n}


def test_the_count_is_what_the_retry_reopens_and_an_accepted_channel_stays_accepted(app, env) -> None:
    campaign_id, (sent, grey, half, unknown) = _completed_run(app, SENT, GREY, HALF, UNKNOWN)
    assert retryable_count(campaign_id, "once") == 2
    assert retryable_count(campaign_id, "once", include_unknown=True) == 3

    retried = retry_campaign(ORG, campaign_id)

    assert retried.status == "pending" and retried.runs_count == 1
    assert retryable_count(campaign_id, "once") == 0
    assert [_message(i).status for i in (sent, grey, half, unknown)] == ["completed", "pending", "pending", "failed"]
    grey_row, half_row = _message(grey), _message(half)
    assert (grey_row.mail_status, grey_row.error, grey_row.error_code, grey_row.tries) == (None, None, None, 0)
    assert (half_row.mail_status, half_row.sms_status) == ("sent", None)  # its e-mail is not sent again
    assert get_state(app).dispatcher.queued == [("send", campaign_id, "once")]


def test_the_counters_the_run_and_the_report_are_counted_again(app, env) -> None:
    campaign_id, _ = _completed_run(app, SENT, GREY, UNKNOWN)
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count, row.total_count) == (1, 2, 3)
    assert _report(campaign_id)[("mail", "failure", "temporary_failure")] == 1

    retry_campaign(ORG, campaign_id)

    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("pending", 1, 1, 3)
    assert row.completed_at is None
    run = db.session.scalar(sa.select(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id))
    assert (run.status, run.completed_at) == ("pending", None)
    report = _report(campaign_id)
    # The grey-listed e-mail is pending again: in no status and no failure of the report.
    assert report == {("mail", "status", "sent"): 1, ("mail", "status", "unknown"): 1}
    published = [event["data"]["attributes"] for _, event in get_state(app).publisher.events]
    assert [(e["status"], e["sent_count"], e["failed_count"]) for e in published] == [("pending", 1, 1)]


def test_of_two_retries_one_reopens_the_run_and_the_other_is_refused(app, env) -> None:
    campaign_id, _ = _completed_run(app, SENT, GREY)
    retry_campaign(ORG, campaign_id)

    with pytest.raises(ConflictError) as refused:
        retry_campaign(ORG, campaign_id)

    assert refused.value.error_code == "illegal_transition"
    assert get_state(app).dispatcher.queued == [("send", campaign_id, "once")]


def test_nothing_retryable_is_refused_and_changes_nothing(app, env) -> None:
    campaign_id, (_, unknown) = _completed_run(app, SENT, UNKNOWN)

    with pytest.raises(ConflictError) as refused:
        retry_campaign(ORG, campaign_id)

    assert refused.value.error_code == "nothing_to_retry"
    assert campaign_row(campaign_id).status == "completed"
    assert _message(unknown).status == "failed"
    assert get_state(app).dispatcher.queued == []
