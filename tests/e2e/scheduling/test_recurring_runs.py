"""Recurring runs through the real sending services, in-process (fast): fire → materialize →
send → completion returns the campaign to ``scheduled`` with its next fire time and timer."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import time_machine
from redis import Redis

from flask_broadcasts.background.timers import fire_job_id
from flask_broadcasts.engine import schedule as service
from flask_broadcasts.engine.lifecycle import start_campaign, stop_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.scheduling.plan import as_utc
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, seed_customers
from tests.support.scheduler_processes import campaign_with, runs_of

SCHEDULED_JOBS = "rq:scheduler:scheduled_jobs"


class InlineDispatcher(RecordingDispatcher):
    """The recording dispatcher, plus ``drain``: the test runs what would have been queued."""

    def drain(self) -> None:
        while self.queued:
            kind, campaign_id, run_key = self.queued.pop(0)
            if kind == "materialize":
                materialize_run(campaign_id, run_key, "test-worker")
            else:
                send_batch(campaign_id, run_key, "test-worker")


def run_occurrence(dispatcher: InlineDispatcher, campaign_id: int, fire_time: datetime) -> bool:
    with time_machine.travel(fire_time + timedelta(seconds=1), tick=True):
        fired = service.fire(campaign_id, fire_time)
        dispatcher.drain()
    return fired


def test_recurring_runs_reschedule_and_send_once_per_fire_time(app, env, smtp) -> None:
    dispatcher = InlineDispatcher()
    get_state(app).dispatcher = dispatcher
    redis = Redis.from_url(env["REDIS_URL"])
    seed_customers(6)
    campaign_id = campaign_with(recurring=True, cron="0 9 * * *", timezone="Europe/Paris")
    start = datetime(2026, 3, 27, 12, tzinfo=UTC)
    with time_machine.travel(start, tick=False):
        campaign = start_campaign(ORG, campaign_id)
    fire_times = [as_utc(campaign.next_run_at)]
    assert fire_times[0] == datetime(2026, 3, 28, 8, tzinfo=UTC)  # 09:00 CET

    for _ in range(2):
        fire_time = fire_times[-1]
        assert (
            redis.zscore(SCHEDULED_JOBS, fire_job_id(campaign_id, fire_time, queue=get_state(app).settings.queue))
            is not None
        )
        assert run_occurrence(dispatcher, campaign_id, fire_time)
        assert not run_occurrence(dispatcher, campaign_id, fire_time)  # a duplicate
        row = campaign_row(campaign_id)
        assert row.status == "scheduled"
        assert (row.total_count, row.sent_count, row.failed_count) == (6, 6, 0)
        fire_times.append(as_utc(row.next_run_at))
    # 09:00 Paris across the spring-forward night: 08:00Z, then 07:00Z.
    assert fire_times == [
        datetime(2026, 3, 28, 8, tzinfo=UTC),
        datetime(2026, 3, 29, 7, tzinfo=UTC),
        datetime(2026, 3, 30, 7, tzinfo=UTC),
    ]
    assert campaign_row(campaign_id).runs_count == 2
    assert [r.status for r in runs_of(campaign_id)] == ["completed", "completed"]
    assert set(Counter(smtp.recipients()).values()) == {2}
    # Message-IDs carry the run key: one per (fire time, recipient).
    assert len({m.message["Message-ID"] for m in smtp.received}) == 12

    stopped = stop_campaign(ORG, campaign_id)
    assert stopped.status == "draft" and stopped.next_run_at is None
    assert (
        redis.zscore(SCHEDULED_JOBS, fire_job_id(campaign_id, fire_times[-1], queue=get_state(app).settings.queue))
        is None
    )
    assert not run_occurrence(dispatcher, campaign_id, fire_times[-1])


def test_recurring_run_with_nobody_to_send_to_is_rescheduled(app, env, smtp) -> None:
    dispatcher = InlineDispatcher()
    get_state(app).dispatcher = dispatcher
    campaign_id = campaign_with(recurring=True, cron="*/5 * * * *")
    with time_machine.travel(datetime(2026, 4, 1, 10, 1, tzinfo=UTC), tick=False):
        campaign = start_campaign(ORG, campaign_id)
    assert run_occurrence(dispatcher, campaign_id, as_utc(campaign.next_run_at))
    row = campaign_row(campaign_id)
    assert row.status == "scheduled" and row.total_count == 0
    assert as_utc(row.next_run_at) == datetime(2026, 4, 1, 10, 10, tzinfo=UTC)
    assert smtp.count() == 0
