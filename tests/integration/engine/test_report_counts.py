"""flask_broadcasts.engine.report_counts: the counters a campaign's report is read from.

What the report relies on: counts added by concurrent recorders sum up; when a run completes,
the counts derived from its messages (status per channel, failures per error code, messages
with no channel to try, messages sent per UTC hour) are set from the messages whatever was
added before, while event counts (opens, clicks...) are kept; and feedback that moves a
channel moves its counts without counting a failure twice.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.report_counts import Deltas, add_report_counts, hour_key, moved, read, recount_run
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _counts(campaign_id: int) -> dict[tuple[str, str, str, str], int]:
    return {(run_key, channel, metric, key): n for run_key, channel, metric, key, n in read(db.session, campaign_id)}


def _stored_run(app, recipients: int) -> tuple[int, list[int]]:
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    ids = db.session.scalars(
        sa.select(BroadcastMessage.id).where(BroadcastMessage.campaign_id == campaign_id).order_by("id")
    )
    return campaign_id, list(ids)


def test_added_counts_sum_up_per_key_and_a_zero_writes_nothing(app, env) -> None:
    campaign_id, _ = _stored_run(app, 1)
    add_report_counts(db.session, campaign_id, "once", Counter({("mail", "status", "sent"): 2}))
    add_report_counts(db.session, campaign_id, "once", Counter({("mail", "status", "sent"): 3, ("", "opened", ""): 0}))
    db.session.commit()

    assert _counts(campaign_id) == {("once", "mail", "status", "sent"): 5}


def test_a_recount_sets_the_derived_counts_from_the_messages_and_keeps_the_events(app, env) -> None:
    campaign_id, (sent, bounced, refused, no_address) = _stored_run(app, 4)
    nine, ten = datetime(2026, 4, 1, 9, 15, tzinfo=UTC), datetime(2026, 4, 1, 10, 5, tzinfo=UTC)
    outcomes = {
        sent: {"status": "completed", "mail_status": "sent", "sent_at": nine},
        bounced: {"status": "failed", "mail_status": "bounced", "error_code": "bounced", "sent_at": ten},
        refused: {"status": "failed", "mail_status": "refused", "error_code": "refused"},
        no_address: {"status": "failed", "mail_status": None, "sms_status": None, "error_code": "no_channel"},
    }
    for message_id, values in outcomes.items():
        db.session.execute(sa.update(BroadcastMessage).where(BroadcastMessage.id == message_id).values(**values))
    # What a killed worker's recorder left: a wrong status count; and an open, an event count.
    add_report_counts(db.session, campaign_id, "once", Counter({("mail", "status", "sent"): 7, ("", "opened", ""): 1}))

    recount_run(db.session, campaign_id, "once")
    db.session.commit()

    assert _counts(campaign_id) == {
        ("once", "mail", "status", "sent"): 1,
        ("once", "mail", "status", "bounced"): 1,
        ("once", "mail", "status", "refused"): 1,
        ("once", "mail", "failure", "bounced"): 1,
        ("once", "mail", "failure", "refused"): 1,
        ("once", "", "unreachable", "no_channel"): 1,
        ("once", "", "hour_sent", "2026-04-01T09"): 1,
        ("once", "", "hour_sent", "2026-04-01T10"): 1,  # a bounce later does not take its hour back
        ("once", "", "opened", ""): 1,
    }


def test_feedback_moves_a_channel_and_counts_its_failure_once() -> None:
    deltas: Deltas = Counter()
    moved(deltas, "mail", "sent", "bounced", error_code="bounced")
    moved(deltas, "mail", "bounced", "undelivered")  # a second, later report of the same failure

    assert +deltas == {("mail", "status", "undelivered"): 1, ("mail", "failure", "bounced"): 1}
    assert deltas[("mail", "status", "sent")] == -1


def test_the_hour_key_of_a_moment_is_its_strftime_whatever_it_was_asked_before() -> None:
    start = datetime(2026, 12, 31, 22, 59, 59, 999999, tzinfo=UTC)
    moments = [start + timedelta(minutes=minutes) for minutes in (0, 1, 61, 62, 60 * 24 * 40)]
    moments += [moment.replace(tzinfo=None) for moment in moments]
    moments += [start.astimezone(timezone(timedelta(hours=5, minutes=30))), datetime(999, 1, 2, 3)]
    for moment in moments * 2:  # the second time from what the first one kept
        assert hour_key(moment) == moment.strftime("%Y-%m-%dT%H")
