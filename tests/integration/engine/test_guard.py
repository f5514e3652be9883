"""Tests of flask_broadcasts.engine.guard.

The deliverability guard: a run whose complaint or hard-bounce rate crosses its limit, once
BROADCASTS_GUARD_MIN_SENT messages are sent, is paused with ``deliverability_guard``; an
operator's resume re-arms it from the counts at that moment. Real SMTP on loopback; the
reports go through ``feedback.apply_event`` as every provider's webhook does."""

from __future__ import annotations

import itertools

import pytest
import sqlalchemy as sa

from flask_broadcasts import signals
from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign, start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.feedback import FeedbackEvent, FeedbackKind, Outcome, apply_event
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config

_keys = itertools.count()


@pytest.fixture
def guarded(app, env):
    set_config(
        env,
        app,
        BROADCASTS_GUARD_MIN_SENT=20,
        BROADCASTS_BATCH_SIZE=10,
        BROADCASTS_PROGRESS_INTERVAL=0,
    )
    return app


@pytest.fixture
def paused_events():
    heard = []

    def listen(sender, **data):
        heard.append(data)

    signals.campaign_paused.connect(listen)
    yield heard
    signals.campaign_paused.disconnect(listen)


def _started(recipients: int) -> int:
    seed_customers(recipients)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    return campaign_id


def _sent_ids(campaign_id: int) -> list[int]:
    from tests.support.hostapp import db

    db.session.rollback()
    return list(
        db.session.scalars(
            sa.select(BroadcastMessage.id)
            .where(BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.status == "completed")
            .order_by(BroadcastMessage.id)
        )
    )


def _report(message_id: int, kind: FeedbackKind = FeedbackKind.COMPLAINT) -> Outcome:
    return apply_event(FeedbackEvent(provider="test", kind=kind, key=f"r{next(_keys)}", message_id=message_id))


def _state(campaign_id: int) -> tuple[str, str | None]:
    row = campaign_row(campaign_id)
    return row.status, row.status_reason


def test_below_min_sent_nothing_is_judged_then_a_complaint_pauses(guarded, smtp, paused_events):
    campaign_id = _started(60)
    send_batch(campaign_id, "once", "w")  # 10 sent
    first = _sent_ids(campaign_id)
    assert _report(first[0]) is Outcome.APPLIED and _report(first[1]) is Outcome.APPLIED
    assert _state(campaign_id) == ("in-progress", None)  # 2/10, but fewer than 20 sent

    send_batch(campaign_id, "once", "w")  # 20 sent, 2 complaints: the flush that counted them pauses
    assert _state(campaign_id) == ("paused", "deliverability_guard")
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.complained_count) == (20, 2)
    assert paused_events[-1]["status_reason"] == "deliverability_guard"
    assert paused_events[-1]["campaign_id"] == campaign_id
    from tests.support.hostapp import db

    run = db.session.execute(sa.select(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id)).scalar_one()
    assert run.status_reason == "deliverability_guard"
    # Paused means paused: a send job claims nothing, nothing more reaches the server.
    received = len(smtp.received)
    assert send_batch(campaign_id, "once", "w").claimed == 0
    assert len(smtp.received) == received == 20


def test_a_complaint_arriving_after_min_sent_pauses_at_once(guarded, smtp):
    campaign_id = _started(40)
    send_batch(campaign_id, "once", "w")
    send_batch(campaign_id, "once", "w")
    assert _state(campaign_id) == ("in-progress", None)
    _report(_sent_ids(campaign_id)[5])
    assert _state(campaign_id) == ("paused", "deliverability_guard")


def test_hard_bounces_pause_only_strictly_above_the_rate(guarded, smtp):
    campaign_id = _started(40)
    send_batch(campaign_id, "once", "w")
    send_batch(campaign_id, "once", "w")
    sent = _sent_ids(campaign_id)
    _report(sent[0], FeedbackKind.HARD_BOUNCE)  # 1/20 = 5 %: not above 5 %
    assert _state(campaign_id) == ("in-progress", None)
    _report(sent[1], FeedbackKind.SOFT_BOUNCE)  # soft bounces are not counted
    assert _state(campaign_id) == ("in-progress", None)
    _report(sent[2], FeedbackKind.HARD_BOUNCE)  # 2/20 = 10 %
    assert _state(campaign_id) == ("paused", "deliverability_guard")
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count, row.bounced_count) == (18, 2, 2)


def test_resume_rearms_the_guard_from_the_counts_at_resume(guarded, smtp):
    campaign_id = _started(60)
    send_batch(campaign_id, "once", "w")
    send_batch(campaign_id, "once", "w")
    sent = _sent_ids(campaign_id)
    _report(sent[0])
    assert _state(campaign_id) == ("paused", "deliverability_guard")

    resume_campaign(ORG, campaign_id)
    assert _state(campaign_id) == ("in-progress", None)
    assert campaign_row(campaign_id).guard_baseline == {"run_key": "once", "sent": 20, "bounced": 0, "complained": 1}
    # A late complaint about what was sent before the resume: nothing sent since, nothing judged.
    _report(sent[1])
    assert _state(campaign_id) == ("in-progress", None)
    send_batch(campaign_id, "once", "w")  # 10 since the resume: still too few
    assert _state(campaign_id) == ("in-progress", None)
    send_batch(campaign_id, "once", "w")  # 20 since, 1 complaint since: 5 % > 0.3 %
    assert _state(campaign_id) == ("paused", "deliverability_guard")

    resume_campaign(ORG, campaign_id)
    send_batch(campaign_id, "once", "w")
    send_batch(campaign_id, "once", "w")
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.complained_count) == ("completed", 60, 2)
    assert len(smtp.received) == 60


def test_an_operators_pause_and_resume_do_not_rearm(guarded, smtp):
    campaign_id = _started(30)
    send_batch(campaign_id, "once", "w")
    pause_campaign(ORG, campaign_id)
    resume_campaign(ORG, campaign_id)
    assert campaign_row(campaign_id).guard_baseline is None
    send_batch(campaign_id, "once", "w")
    _report(_sent_ids(campaign_id)[0])
    assert _state(campaign_id) == ("paused", "deliverability_guard")


def test_a_rate_of_zero_turns_that_check_off(guarded, env, smtp):
    set_config(env, guarded, BROADCASTS_GUARD_COMPLAINT_RATE=0)
    campaign_id = _started(30)
    send_batch(campaign_id, "once", "w")
    send_batch(campaign_id, "once", "w")
    for message_id in _sent_ids(campaign_id)[:10]:
        _report(message_id)
    assert _state(campaign_id) == ("in-progress", None)
