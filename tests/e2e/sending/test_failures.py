"""Stop and start again, refused recipients, a mail server down then up, ten concurrent starts."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign, stop_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.recovery import recover
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.errors import ConflictError
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.processes import run_workers


def _after_record(monkeypatch, number, action):
    """Run ``action(recorder)`` right after the batch's ``number``-th record; return the unpatched method."""
    from flask_broadcasts.engine.outcomes import OutcomeRecorder

    original = OutcomeRecorder.record
    calls = {"n": 0}

    def record_then_act(self, *args, **kwargs):
        original(self, *args, **kwargs)
        calls["n"] += 1
        if calls["n"] == number:
            action(self)

    monkeypatch.setattr(OutcomeRecorder, "record", record_then_act)
    return original


def _statuses(db, campaign_id):
    db.session.rollback()
    return Counter(
        db.session.execute(
            sa.select(BroadcastMessage.status).where(BroadcastMessage.campaign_id == campaign_id)
        ).scalars()
    )


def test_stop_mid_run_then_start_reaches_only_the_rest(app, env, smtp):
    from tests.support.hostapp import db

    seed_customers(120)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    first = send_batch(campaign_id, "once", "test-worker")  # one batch of 50 goes out
    assert first.sent == 50
    stopped = stop_campaign(ORG, campaign_id)
    assert stopped.status == "draft"
    assert _statuses(db, campaign_id) == {"completed": 50}  # the unsent 70 are gone
    assert stop_campaign(ORG, campaign_id).status == "draft"  # idempotent
    run_workers(env)  # cancelled jobs do nothing
    assert smtp.count() == 50

    again = start_campaign(ORG, campaign_id)
    assert again.status == "pending"
    outputs = run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 120, 0, 120), outputs
    received = Counter(smtp.recipients())
    assert len(received) == 120 and set(received.values()) == {1}


def test_stop_halts_a_worker_after_the_message_in_flight(app, env, smtp, monkeypatch):
    """A worker holding a claim when stop comes hands over at most the one message in flight
    (it learns of the stop from its last record's answer), then deletes the rest of its claim."""
    from tests.support.hostapp import db

    seed_customers(60)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")

    def stop(recorder):
        with app.app_context():  # another request, another session
            stop_campaign(ORG, campaign_id)

    _after_record(monkeypatch, 3, stop)
    result = send_batch(campaign_id, "once", "test-worker")
    # 3 before the stop; the 4th only if the 3rd's record was answered before the stop committed.
    assert result.stopped and 3 <= result.sent <= 4
    assert smtp.count() == result.sent
    assert _statuses(db, campaign_id) == {"completed": result.sent}
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("draft", result.sent, result.sent)


def test_pause_halts_a_worker_and_releases_its_claim(app, env, smtp, monkeypatch):
    from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign
    from tests.support.hostapp import db

    seed_customers(60)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")

    def pause(recorder):
        with app.app_context():
            pause_campaign(ORG, campaign_id)

    _after_record(monkeypatch, 3, pause)
    result = send_batch(campaign_id, "once", "test-worker")
    assert result.paused and not result.stopped and 3 <= result.sent <= 4
    assert smtp.count() == result.sent
    assert _statuses(db, campaign_id) == {"completed": result.sent, "pending": 60 - result.sent}
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason, row.sent_count, row.total_count) == ("paused", "paused", result.sent, 60)
    released = db.session.execute(sa.select(sa.func.count()).where(BroadcastMessage.claimed_by.is_not(None)))
    assert released.scalar() == 0
    assert send_batch(campaign_id, "once", "test-worker").claimed == 0  # nothing is claimed while paused

    monkeypatch.undo()  # no more pauses
    assert resume_campaign(ORG, campaign_id).status == "in-progress"
    send_batch(campaign_id, "once", "test-worker")
    send_batch(campaign_id, "once", "test-worker")
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 60, 0, 60)
    received = Counter(smtp.recipients())
    assert len(received) == 60 and set(received.values()) == {1}


def test_refused_recipients_fail_alone(app, env, smtp):
    from tests.support.hostapp import db

    seed_customers(40, refuse_every=10)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 36, 4, 40)
    failed = db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.status == "failed")).scalars().all()
    assert {m.email for m in failed} == {f"refuse{i}@example.test" for i in (10, 20, 30, 40)}
    assert all("550 5.7.1 delivery not authorized" in m.error and m.mail_status == "refused" for m in failed)
    assert smtp.count() == 36


def test_smtp_down_then_up_loses_nothing(app, env, smtp):
    from tests.support.hostapp import db

    seed_customers(60)
    campaign_id = make_campaign()
    smtp.stop()
    start_campaign(ORG, campaign_id)
    run_workers(env)  # materializes; the send jobs fail and are scheduled for a retry
    assert _statuses(db, campaign_id) == {"pending": 60}
    assert db.session.scalar(sa.select(sa.func.count()).where(BroadcastMessage.claimed_by.is_not(None))) == 0
    assert campaign_row(campaign_id).status == "in-progress"
    smtp.start()
    # A relay that is down pauses the channel with a growing back-off (engine.pacing): the run's
    # send job is queued again for the pause's end, which RQ's scheduler moves back to the queue.
    outputs: list[str] = []
    deadline = time.monotonic() + 60
    while campaign_row(campaign_id).status != "completed" and time.monotonic() < deadline:
        time.sleep(0.5)
        outputs += run_workers(env)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 60, 60), outputs
    received = Counter(smtp.recipients())
    assert len(received) == 60 and set(received.values()) == {1}


def test_recovery_requeues_a_run_no_job_holds(app, env, smtp):
    seed_customers(30)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    get_dispatcher = app.extensions["broadcasts"].dispatcher
    get_dispatcher.cancel(campaign_id)  # as if the queued send jobs were lost
    report = recover()
    assert report.send_requeued == [campaign_id]
    assert recover().send_requeued == []  # one waiting job is enough
    run_workers(env)
    assert campaign_row(campaign_id).status == "completed"
    assert smtp.count() == 30


def test_recovery_does_not_wait_for_a_retry_no_scheduler_moves(app, env, smtp):
    """A retry RQ's scheduler should have queued long ago (it hung, or no worker runs it)
    does not stall the run: the sweep queues a fresh send job, and nothing goes out twice."""
    from datetime import UTC, datetime, timedelta

    from flask_broadcasts.background.queues import campaign_jobs_key, job_id

    seed_customers(30)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    state = app.extensions["broadcasts"]
    state.dispatcher.cancel(campaign_id)

    def retry_due(seconds_from_now: float, tag: str) -> None:
        jid = job_id("send", campaign_id, "once", tag, queue=state.settings.queue)
        state.dispatcher.queue.enqueue_at(
            datetime.now(UTC) + timedelta(seconds=seconds_from_now),
            "flask_broadcasts.background.jobs.send_batch",
            campaign_id,
            "once",
            job_id=jid,
        )
        state.redis.sadd(campaign_jobs_key(campaign_id, queue=state.settings.queue), jid)

    retry_due(60, "later")
    assert recover().send_requeued == []  # a retry still to come is waited for
    state.dispatcher.cancel(campaign_id)
    # Under the very id the sweep queues with: that job, retried and stuck, is replaced.
    retry_due(-(state.settings.recovery_interval + 5), "recovery")
    assert recover().send_requeued == [campaign_id]
    recovery_job = job_id("send", campaign_id, "once", "recovery", queue=state.settings.queue)
    assert state.dispatcher.queue.get_job_ids() == [recovery_job]
    run_workers(env)
    assert campaign_row(campaign_id).status == "completed"
    assert sorted(Counter(smtp.recipients()).values()) == [1] * 30


@pytest.mark.postgres_only
def test_ten_concurrent_starts_one_winner(app, env, smtp, is_postgres):
    if not is_postgres:
        pytest.skip("PostgreSQL row locking")
    from tests.support.hostapp import db

    seed_customers(40)
    campaign_id = make_campaign()
    barrier = threading.Barrier(10)
    outcomes: list[str] = []

    def start():
        with app.app_context():
            barrier.wait()
            try:
                outcomes.append(start_campaign(ORG, campaign_id).status)
            except ConflictError:
                outcomes.append("409")

    threads = [threading.Thread(target=start) for _ in range(10)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["409"] * 9 + ["pending"]
    run_workers(env, count=2)
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastRun)) == 1
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 40, 40)
    received = Counter(smtp.recipients())
    assert len(received) == 40 and set(received.values()) == {1}


@pytest.mark.postgres_only
@pytest.mark.parametrize("synchronous", [False, True], ids=["async-records", "synchronous-records"])
def test_record_connection_cut_mid_batch_records_again_and_sends_nothing_twice(
    app, env, smtp, is_postgres, monkeypatch, synchronous
):
    """The worker's record connection dies mid-batch: it reconnects, writes its records again, stops."""
    if not is_postgres:
        pytest.skip("the asynchronous record connection is PostgreSQL's")
    import psycopg

    from flask_broadcasts.engine.outcomes import OutcomeRecorder
    from flask_broadcasts.state import get_state
    from tests.support.hostapp import db

    # BROADCASTS_SYNCHRONOUS_RECORDS: each record waits for the disk; the cut is handled alike.
    monkeypatch.setattr(get_state(app).settings, "synchronous_records", synchronous)

    seed_customers(40)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")

    def cut_record_connection(recorder):  # record 12 is in flight: kill the server process serving it
        with psycopg.connect(
            db.engine.url.render_as_string(hide_password=False).replace("+psycopg", ""), autocommit=True
        ) as admin:
            admin.execute("SELECT pg_terminate_backend(%s)", [recorder.cursor.connection.info.backend_pid])

    original = _after_record(monkeypatch, 12, cut_record_connection)
    with pytest.raises(Exception) as cut:
        send_batch(campaign_id, "once", "test-worker")
    assert isinstance(cut.value, psycopg.OperationalError) or isinstance(
        getattr(cut.value, "orig", None), psycopg.OperationalError
    )
    # Record 12 was answered before the cut (then message 13 went out and the cut shows at
    # the next wait) or not (then message 13's data never went out). Either way every
    # message the server accepted is recorded — written again after reconnecting — and no
    # other message is.
    sent = smtp.count()
    assert sent in (12, 13)
    assert _statuses(db, campaign_id) == {"completed": sent, "pending": 40 - sent}

    monkeypatch.setattr(OutcomeRecorder, "record", original)
    while not send_batch(campaign_id, "once", "test-worker").completed:
        pass
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 40, 0, 40)
    received = Counter(smtp.recipients())
    assert len(received) == 40 and set(received.values()) == {1}


@pytest.mark.postgres_only
def test_connections_go_back_to_the_pool_with_synchronous_commits(app, env, smtp, is_postgres):
    """The record connection turns ``synchronous_commit`` off for itself only: whatever the
    pool hands out after a batch (the session's claims, releases, completions) commits durably."""
    if not is_postgres:
        pytest.skip("synchronous_commit is PostgreSQL's")
    from tests.support.hostapp import db

    seed_customers(12)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    assert send_batch(campaign_id, "once", "test-worker").sent == 12
    db.session.remove()
    pool = db.engine.pool
    held = [pool.connect() for _ in range(max(1, pool.checkedin()))]
    try:
        settings = set()
        for raw in held:
            cursor = raw.cursor()
            cursor.execute("SHOW synchronous_commit")
            settings.add(cursor.fetchone()[0])
            cursor.close()
    finally:
        for raw in held:
            raw.close()
    assert settings == {"on"}
