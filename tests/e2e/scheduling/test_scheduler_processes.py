"""Scheduled and recurring campaigns through real scheduler and worker OS processes.

``flask broadcasts scheduler`` and ``flask broadcasts worker`` processes, a real SMTP
server on loopback, Redis (embedded unless ``REDIS_URL``), SQLite (or PostgreSQL with
``DATABASE_URL``). Nothing here calls the fire job in-process.
"""

from __future__ import annotations

import json
import math
import time
from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from redis import Redis
from rq import Queue

from flask_broadcasts.background.scheduler import recovery_job_id
from flask_broadcasts.background.timers import FIRE_JOB, fire_job_id
from flask_broadcasts.engine import schedule as service
from flask_broadcasts.engine.lifecycle import start_campaign, stop_campaign
from flask_broadcasts.scheduling.plan import as_utc, run_key_for
from tests.support.fixtures import ORG, campaign_row, event_channel, seed_customers, set_config
from tests.support.processes import start_subscriber
from tests.support.scheduler_processes import campaign_with, runs_of


def now() -> datetime:
    return datetime.now(UTC)


def whole_seconds_ahead(seconds: float) -> datetime:
    return datetime.fromtimestamp(math.ceil(time.time() + seconds), UTC)


def wait_for(predicate, timeout: float, processes, step: float = 0.1):  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(step)
    raise AssertionError(f"timed out after {timeout}s\n{processes.stop()}")


def test_scheduled_at_is_delivered_on_time_and_not_before(app, env, smtp, processes) -> None:
    seed_customers(20)
    interval = app.config["BROADCASTS_SCHEDULER_INTERVAL"]
    assert interval == 5  # the default
    processes.worker()
    processes.scheduler()
    scheduled_at = whole_seconds_ahead(8)
    campaign_id = campaign_with(scheduled_at=scheduled_at)
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))

    campaign = start_campaign(ORG, campaign_id)
    assert campaign.status == "scheduled"
    assert as_utc(campaign.next_run_at) == scheduled_at

    # Watch the SMTP server: empty at every look before scheduled_at.
    last_empty = first_seen = None
    deadline = scheduled_at + timedelta(seconds=interval + 20)
    while now() < deadline:
        looked_at, count = now(), smtp.count()
        if count == 0:
            last_empty = looked_at
            assert looked_at < scheduled_at + timedelta(seconds=interval + 10), "not delivered in time"
        elif first_seen is None:
            first_seen = looked_at
        if campaign_row(campaign_id).status == "completed":
            break
        time.sleep(0.05)
    output = processes.stop()
    row = campaign_row(campaign_id)
    assert row.status == "completed", output
    assert smtp.count() == 20 and len(set(smtp.recipients())) == 20
    # Nothing before scheduled_at: the SMTP server was still empty just before it, and the
    # run was claimed at or after it (its row is written by the worker at the claim).
    assert last_empty >= scheduled_at - timedelta(seconds=0.2)
    (run,) = runs_of(campaign_id)
    assert as_utc(run.started_at) >= scheduled_at
    assert run.run_key == "once" and as_utc(run.fire_time) == scheduled_at
    # ... and within the scheduler's poll interval (plus the worker's own work).
    assert as_utc(run.started_at) <= scheduled_at + timedelta(seconds=interval + 2)
    assert first_seen <= scheduled_at + timedelta(seconds=interval + 10)

    out, _ = subscriber.communicate(timeout=10)
    statuses = [json.loads(line)["data"]["attributes"]["status"] for line in out.decode().splitlines()]
    assert statuses[0] == "scheduled" and statuses[1] == "pending" and statuses[-1] == "completed"


# Two real minutes of wall clock: it runs in the long suite (make test-faults), not make test.
@pytest.mark.faults
def test_every_minute_cron_over_two_fire_times(app, env, smtp, processes) -> None:
    from tests.support.hostapp import Customer, db

    seed_customers(10)
    set_config(env, app, BROADCASTS_SCHEDULER_INTERVAL=1)
    processes.worker()
    # Two schedulers at once: still one run per fire time.
    processes.scheduler()
    processes.scheduler()
    time.sleep(2)
    campaign_id = campaign_with(recurring=True, cron="* * * * *", timezone="Europe/Paris")
    campaign = start_campaign(ORG, campaign_id)
    first = as_utc(campaign.next_run_at)
    assert campaign.status == "scheduled" and first.second == 0 and first > now()

    # Run 1 at the first minute boundary.
    wait_for(
        lambda: campaign_row(campaign_id).runs_count == 1 and campaign_row(campaign_id).status == "scheduled",
        (first - now()).total_seconds() + 30,
        processes,
    )
    row = campaign_row(campaign_id)
    assert as_utc(row.next_run_at) == first + timedelta(minutes=1)
    assert (row.total_count, row.sent_count, row.failed_count) == (10, 10, 0)
    # The audience grows between runs: the next run sends to the audience as it is then.
    db.session.add(
        Customer(
            organization_id=ORG,
            first_name="New",
            last_name="Comer",
            email="new@example.test",
            locale="en",
            status="active",
        )
    )
    db.session.commit()

    # Run 2, one minute later.
    wait_for(
        lambda: campaign_row(campaign_id).runs_count == 2 and campaign_row(campaign_id).status == "scheduled",
        (first + timedelta(minutes=1) - now()).total_seconds() + 30,
        processes,
    )
    output = processes.stop()
    row = campaign_row(campaign_id)
    assert as_utc(row.next_run_at) == first + timedelta(minutes=2), output
    # Counters describe the last run.
    assert (row.total_count, row.sent_count, row.failed_count) == (11, 11, 0)
    runs = runs_of(campaign_id)
    assert [r.run_key for r in runs] == [run_key_for(first), run_key_for(first + timedelta(minutes=1))]
    assert [(r.status, r.total_count, r.sent_count) for r in runs] == [("completed", 10, 10), ("completed", 11, 11)]
    assert all(as_utc(r.started_at) >= as_utc(r.fire_time) for r in runs)
    # Exactly once per (fire time, recipient): two e-mails each, one for the newcomer.
    received = Counter(smtp.recipients())
    assert received.pop("new@example.test") == 1
    assert set(received.values()) == {2} and len(received) == 10
    assert [r.run_key for r in service.recent_runs(campaign_id)] == [runs[1].run_key, runs[0].run_key]


def test_two_schedulers_and_duplicate_fire_jobs_give_one_run_per_fire_time(app, env, smtp, processes) -> None:
    seed_customers(15)
    set_config(env, app, BROADCASTS_SCHEDULER_INTERVAL=1)
    for _ in range(2):
        processes.worker()
        processes.scheduler()
    scheduled_at = whole_seconds_ahead(5)
    campaign_ids = [campaign_with(scheduled_at=scheduled_at) for _ in range(4)]
    for campaign_id in campaign_ids:
        start_campaign(ORG, campaign_id)
    # A duplicate of every occurrence straight onto the queue at its fire time (as a
    # sweep racing the scheduler, or a second enqueue, would produce).
    time.sleep(max(0.0, (scheduled_at - now()).total_seconds()))
    queue = Queue(app.config["BROADCASTS_QUEUE"], connection=Redis.from_url(env["REDIS_URL"]))
    for campaign_id in campaign_ids:
        for _ in range(2):
            queue.enqueue(FIRE_JOB, campaign_id, run_key_for(scheduled_at))

    wait_for(lambda: all(campaign_row(c).status == "completed" for c in campaign_ids), 40, processes)
    output = processes.stop()
    for campaign_id in campaign_ids:
        runs = runs_of(campaign_id)
        assert len(runs) == 1, output
        assert campaign_row(campaign_id).runs_count == 1
    assert smtp.count() == 4 * 15
    # Each campaign's Message-ID is distinct per recipient: no message twice.
    ids = [m.message["Message-ID"] for m in smtp.received]
    assert len(ids) == len(set(ids)) == 60


# A fault/operations scenario with real process start-ups: the long suite (make test-faults).
@pytest.mark.faults
def test_sweep_recreates_the_schedule_after_redis_lost_its_data(app, env, smtp, processes) -> None:
    seed_customers(5)
    set_config(env, app, BROADCASTS_SCHEDULER_INTERVAL=1, BROADCASTS_RECOVERY_INTERVAL=2)
    redis = Redis.from_url(env["REDIS_URL"])
    scheduled_at = whole_seconds_ahead(10)
    campaign_id = campaign_with(scheduled_at=scheduled_at)
    start_campaign(ORG, campaign_id)
    scheduled_jobs = "rq:scheduler:scheduled_jobs"
    queue = app.config["BROADCASTS_QUEUE"]
    assert redis.zscore(scheduled_jobs, fire_job_id(campaign_id, scheduled_at, queue=queue)) is not None

    processes.worker()
    processes.scheduler()
    wait_for(lambda: redis.zscore(scheduled_jobs, recovery_job_id(queue)) is not None, 10, processes)
    redis.flushdb()  # Redis lost everything: the timer, the sweep's registration, RQ's own keys

    # The scheduler puts the sweep back, the sweep puts the timer back from next_run_at.
    wait_for(
        lambda: redis.zscore(scheduled_jobs, fire_job_id(campaign_id, scheduled_at, queue=queue)) is not None,
        8,
        processes,
    )
    assert now() < scheduled_at
    wait_for(lambda: campaign_row(campaign_id).status == "completed", 30, processes)
    output = processes.stop()
    (run,) = runs_of(campaign_id)
    assert as_utc(run.started_at) >= scheduled_at, output
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, 6))


def test_stop_cancels_the_waiting_occurrence(app, env, smtp, processes) -> None:
    seed_customers(3)
    set_config(env, app, BROADCASTS_SCHEDULER_INTERVAL=1)
    redis = Redis.from_url(env["REDIS_URL"])
    scheduled_at = whole_seconds_ahead(4)
    campaign_id = campaign_with(scheduled_at=scheduled_at)
    start_campaign(ORG, campaign_id)
    stopped = stop_campaign(ORG, campaign_id)
    assert stopped.status == "draft" and stopped.next_run_at is None
    queue = app.config["BROADCASTS_QUEUE"]
    assert redis.zscore("rq:scheduler:scheduled_jobs", fire_job_id(campaign_id, scheduled_at, queue=queue)) is None
    processes.worker()
    processes.scheduler()
    time.sleep(max(0.0, (scheduled_at - now()).total_seconds()) + 3)
    processes.stop()
    assert smtp.count() == 0
    assert runs_of(campaign_id) == []
    assert campaign_row(campaign_id).status == "draft"


# A fault/operations scenario with real process start-ups: the long suite (make test-faults).
@pytest.mark.faults
def test_plain_rqscheduler_with_the_sweep_registered_once(app, env, smtp, processes) -> None:
    import subprocess
    import sys

    from tests.support.processes import ROOT, worker_env

    seed_customers(4)
    registered = subprocess.run(
        [sys.executable, "-m", "flask", "broadcasts", "scheduler", "--register-only"],
        cwd=ROOT,
        env=worker_env(env),
        capture_output=True,
        text=True,
        timeout=60,
    )
    sweep = recovery_job_id(app.config["BROADCASTS_QUEUE"])
    assert registered.stdout.strip() == f"{sweep}: registered", registered.stderr
    scheduled_at = whole_seconds_ahead(5)
    campaign_id = campaign_with(scheduled_at=scheduled_at)
    start_campaign(ORG, campaign_id)
    processes.worker()
    plain = subprocess.Popen(
        [sys.executable, "-m", "rq_scheduler.scripts.rqscheduler", "--url", env["REDIS_URL"], "-i", "1"],
        cwd=ROOT,
        env=worker_env(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.started.append(plain)
    wait_for(lambda: campaign_row(campaign_id).status == "completed", 30, processes)
    output = processes.stop()
    (run,) = runs_of(campaign_id)
    assert as_utc(run.started_at) >= scheduled_at, output
    assert smtp.count() == 4
