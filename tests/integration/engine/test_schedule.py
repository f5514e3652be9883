"""The scheduling service on a real database: start, claim once, reschedule, DST, recovery."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from sqlalchemy import update

from flask_broadcasts.engine import schedule as service
from flask_broadcasts.engine.completion import complete_run_if_done
from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign
from flask_broadcasts.engine.recovery import recover
from flask_broadcasts.engine.schedule_recovery import recover_schedules
from flask_broadcasts.errors import ConflictError
from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, BroadcastRun
from flask_broadcasts.scheduling.plan import as_utc
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus
from tests.support.dispatch import RecordingDispatcher

PARIS = ZoneInfo("Europe/Paris")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def reload(session, campaign: BroadcastCampaign) -> BroadcastCampaign:
    session.expire_all()
    return session.get(BroadcastCampaign, campaign.id)


def complete_run(session, campaign_id: int, *, now: datetime) -> None:
    """What the sending engine's completion does for a recurring campaign (its hook calls)."""
    campaign = session.get(BroadcastCampaign, campaign_id)
    next_run_at = service.next_run_after(session, campaign_id, campaign.run_key, now=now)
    session.execute(
        update(BroadcastCampaign.__table__)
        .where(BroadcastCampaign.__table__.c.id == campaign_id)
        .values(
            status=(CampaignStatus.SCHEDULED if next_run_at else CampaignStatus.COMPLETED).value,
            next_run_at=next_run_at,
            completed_at=now,
        )
    )
    session.commit()


# --- start ---------------------------------------------------------------------------------


def test_future_scheduled_at_becomes_scheduled_with_a_timer(session, make_campaign, timers) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(scheduled_at=now + timedelta(hours=2))
    started = service.schedule_start(campaign, now, timers=timers)
    assert started.status_enum is CampaignStatus.SCHEDULED
    assert as_utc(started.next_run_at) == now + timedelta(hours=2)
    assert (campaign.id, now + timedelta(hours=2)) in timers


def test_recurring_start_takes_next_cron_time_not_before_scheduled_at(session, make_campaign, timers) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(recurring=True, cron="0 9 * * 1", scheduled_at=utc(2026, 4, 13, 9))
    started = service.schedule_start(campaign, now, timers=timers)
    assert as_utc(started.next_run_at) == utc(2026, 4, 13, 9)
    assert started.status_enum is CampaignStatus.SCHEDULED


def test_start_of_a_non_draft_is_a_conflict(session, make_campaign, timers) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(scheduled_at=now + timedelta(hours=1))
    service.schedule_start(campaign, now, timers=timers)
    with pytest.raises(ConflictError):
        service.schedule_start(campaign, now, timers=timers)


# --- fire: one run per fire time ------------------------------------------------------------


def test_fire_claims_a_fire_time_once(session, make_campaign, timers, launch) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, now, timers=timers)
    fire_time = utc(2026, 4, 1, 11)
    assert service.fire(campaign.id, fire_time, now=fire_time, launch=launch) is True
    assert service.fire(campaign.id, fire_time, now=fire_time, launch=launch) is False
    assert launch.calls == [(campaign.id, "2026-04-01T11:00:00Z", fire_time)]
    campaign = reload(session, campaign)
    assert campaign.status_enum is CampaignStatus.PENDING
    assert campaign.run_key == "2026-04-01T11:00:00Z"
    assert campaign.runs_count == 1


def test_one_off_scheduled_run_keeps_the_once_key(session, make_campaign, timers, launch) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(scheduled_at=utc(2026, 4, 1, 10, 0, 5))
    service.schedule_start(campaign, now, timers=timers)
    assert service.fire(campaign.id, utc(2026, 4, 1, 10, 0, 5), launch=launch)
    assert launch.calls[0][1] == "once"


def test_stale_or_cancelled_occurrence_does_nothing(session, make_campaign, timers, launch) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, now, timers=timers)
    # A timer for another fire time (left over from before a stop/start) is ignored.
    assert service.fire(campaign.id, utc(2026, 4, 1, 12), launch=launch) is False
    # A stopped campaign (draft) never fires.
    session.execute(update(BroadcastCampaign.__table__).values(status=CampaignStatus.DRAFT.value, next_run_at=None))
    session.commit()
    assert service.fire(campaign.id, utc(2026, 4, 1, 11), launch=launch) is False
    assert launch.calls == []


def test_existing_run_row_rolls_the_claim_back(session, make_campaign, timers, launch) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, now, timers=timers)
    fire_time = utc(2026, 4, 1, 11)
    assert launch(campaign.id, "2026-04-01T11:00:00Z", fire_time)  # a run row already there
    assert service.fire(campaign.id, fire_time, launch=launch) is False
    assert reload(session, campaign).status_enum is CampaignStatus.SCHEDULED


# --- after a run -----------------------------------------------------------------------------


def test_recurring_run_returns_to_scheduled_with_next_fire_time(session, make_campaign, timers, launch) -> None:
    campaign = make_campaign(recurring=True, cron="*/10 * * * *")
    service.schedule_start(campaign, utc(2026, 4, 1, 10, 1), timers=timers)
    assert service.fire(campaign.id, utc(2026, 4, 1, 10, 10), launch=launch)
    complete_run(session, campaign.id, now=utc(2026, 4, 1, 10, 11))
    assert service.after_run_completed(campaign.id, timers=timers)
    campaign = reload(session, campaign)
    assert campaign.status_enum is CampaignStatus.SCHEDULED
    assert as_utc(campaign.next_run_at) == utc(2026, 4, 1, 10, 20)
    assert (campaign.id, utc(2026, 4, 1, 10, 20)) in timers


def test_one_off_completion_sets_no_timer(session, make_campaign, timers, launch) -> None:
    campaign = make_campaign(scheduled_at=utc(2026, 4, 1, 10, 5))
    service.schedule_start(campaign, utc(2026, 4, 1, 10), timers=timers)
    service.fire(campaign.id, utc(2026, 4, 1, 10, 5), launch=launch)
    assert service.next_run_after(session, campaign.id, "once") is None
    complete_run(session, campaign.id, now=utc(2026, 4, 1, 10, 6))
    assert service.after_run_completed(campaign.id, timers=timers) is False
    assert reload(session, campaign).status_enum is CampaignStatus.COMPLETED


def test_scheduler_down_across_fire_times_runs_once_then_next_future_time(
    session, make_campaign, timers, launch
) -> None:
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, utc(2026, 4, 1, 5, 30), timers=timers)
    # The scheduler was down from 05:30 to 09:40: 06:00, 07:00, 08:00, 09:00 passed.
    with time_machine.travel(utc(2026, 4, 1, 9, 40), tick=False):
        assert service.fire(campaign.id, utc(2026, 4, 1, 6), launch=launch)
        assert service.fire(campaign.id, utc(2026, 4, 1, 7), launch=launch) is False
        complete_run(session, campaign.id, now=utc(2026, 4, 1, 9, 41))
    assert as_utc(reload(session, campaign).next_run_at) == utc(2026, 4, 1, 10)
    assert len(launch.calls) == 1


@pytest.mark.parametrize(
    ("start", "fires"),
    [
        # Spring forward: 02:30 does not exist on 2026-03-29 → 03:00 CEST (01:00Z); next day 02:30 CEST.
        (utc(2026, 3, 28, 12), [utc(2026, 3, 29, 1, 0), utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)]),
        # Fall back: 02:30 happens twice on 2026-10-25 → once, at the first (CEST, 00:30Z); next day 02:30 CET.
        (utc(2026, 10, 24, 12), [utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)]),
    ],
    ids=["spring-forward", "fall-back"],
)
def test_dst_in_paris_at_0230_through_the_service(session, make_campaign, timers, launch, start, fires) -> None:
    campaign = make_campaign(recurring=True, cron="30 2 * * *", timezone="Europe/Paris")
    with time_machine.travel(start, tick=False):
        service.schedule_start(campaign, start, timers=timers)
    seen = []
    for _ in fires:
        fire_time = as_utc(reload(session, campaign).next_run_at)
        seen.append(fire_time)
        with time_machine.travel(fire_time + timedelta(seconds=3), tick=False):
            assert service.fire(campaign.id, fire_time, launch=launch)
            # A duplicate timer during the run is refused.
            assert not service.fire(campaign.id, fire_time, launch=launch)
            complete_run(session, campaign.id, now=fire_time + timedelta(seconds=40))
            service.after_run_completed(campaign.id, timers=timers)
    assert seen == fires
    assert [call[1] for call in launch.calls] == [f.strftime("%Y-%m-%dT%H:%M:%SZ") for f in fires]
    # Wall-clock view: 03:00 on the spring-forward day, 02:30 otherwise (never twice on 10-25).
    local = [f.astimezone(PARIS).strftime("%m-%d %H:%M %Z") for f in seen]
    assert local[0] in ("03-29 03:00 CEST", "10-25 02:30 CEST")


def test_recent_runs_newest_first(session, make_campaign, timers, launch) -> None:
    campaign = make_campaign(recurring=True, cron="* * * * *")
    service.schedule_start(campaign, utc(2026, 4, 1, 10), timers=timers)
    for minute in range(1, 8):
        fire_time = utc(2026, 4, 1, 10, minute)
        with time_machine.travel(fire_time, tick=False):
            assert service.fire(campaign.id, fire_time, launch=launch)
            complete_run(session, campaign.id, now=fire_time + timedelta(seconds=5))
    runs = service.recent_runs(campaign.id)
    assert [run.run_key for run in runs] == [f"2026-04-01T10:0{m}:00Z" for m in (7, 6, 5, 4, 3)]
    assert len(service.recent_runs(campaign.id, limit=2)) == 2
    assert reload(session, campaign).runs_count == 7


def test_recurring_campaign_paused_across_fire_times_skips_them_and_resumes_once(
    app, session, make_campaign, timers, launch
) -> None:
    """docs/api.rst: fire times that pass while paused are skipped, not replayed; the next
    one is counted from the moment the resumed run ends (docs/scheduling.rst)."""
    state = get_state(app)
    state.dispatcher, state.publisher, state.timers = RecordingDispatcher(), RecordingPublisher(), timers
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, utc(2026, 4, 1, 9, 30), timers=timers)
    fire_time = utc(2026, 4, 1, 10)
    with time_machine.travel(fire_time + timedelta(seconds=2), tick=False):
        assert service.fire(campaign.id, fire_time, launch=launch)
        run_key = reload(session, campaign).run_key
        # The run is materialized with three recipients; one is sent before the pause.
        session.add_all(
            BroadcastMessage(
                organization_id="1",
                campaign_id=campaign.id,
                run_key=run_key,
                recipient_type="customers",
                recipient_id=str(i),
                channels=["mail"],
                email=f"c{i}@example.test",
                status="completed" if i == 1 else "pending",
            )
            for i in (1, 2, 3)
        )
        session.execute(
            update(BroadcastRun.__table__)
            .where(BroadcastRun.__table__.c.campaign_id == campaign.id)
            .values(materialized_at=fire_time, status=CampaignStatus.IN_PROGRESS.value)
        )
        session.execute(
            update(BroadcastCampaign.__table__)
            .where(BroadcastCampaign.__table__.c.id == campaign.id)
            .values(status=CampaignStatus.IN_PROGRESS.value)
        )
        session.commit()
    with time_machine.travel(fire_time + timedelta(minutes=5), tick=False):
        assert pause_campaign("1", campaign.id).status_enum is CampaignStatus.PAUSED

    # 11:00 and 12:00 pass while it is paused: neither a timer nor the sweep starts them.
    with time_machine.travel(utc(2026, 4, 1, 12, 30), tick=False):
        for missed in (utc(2026, 4, 1, 11), utc(2026, 4, 1, 12)):
            assert service.fire(campaign.id, missed, launch=launch) is False
        assert service.fire(campaign.id, fire_time, launch=launch) is False  # a late duplicate of 10:00
        report = recover_schedules(timers=timers, launch=launch)
        assert (report.timers_recreated, report.overdue_fired, report.rescheduled) == (0, 0, 0)
        sweep = recover()
        assert campaign.id not in sweep.send_requeued + sweep.materialize_requeued + sweep.completed
        assert state.dispatcher.queued == []
        paused = reload(session, campaign)
        assert (paused.status_enum, paused.status_reason, paused.run_key) == (CampaignStatus.PAUSED, "paused", run_key)

        resumed = resume_campaign("1", campaign.id)
        assert resumed.status_enum is CampaignStatus.IN_PROGRESS and resumed.status_reason is None
        assert state.dispatcher.queued == [("send", campaign.id, run_key)]

    # The resumed run sends the other two and ends at 12:40.
    with time_machine.travel(utc(2026, 4, 1, 12, 40), tick=False):
        session.execute(
            update(BroadcastMessage.__table__)
            .where(BroadcastMessage.__table__.c.campaign_id == campaign.id)
            .values(status="completed", mail_status="sent")
        )
        session.commit()
        assert complete_run_if_done(session, campaign.id, run_key, state.publisher) is not None
    campaign = reload(session, campaign)
    assert campaign.status_enum is CampaignStatus.SCHEDULED and campaign.status_reason is None
    # Not 11:00 or 12:00 replayed: the first fire time after the run ended.
    assert as_utc(campaign.next_run_at) == utc(2026, 4, 1, 13)
    assert (campaign.id, utc(2026, 4, 1, 13)) in timers
    assert (campaign.id, utc(2026, 4, 1, 12)) not in timers and (campaign.id, utc(2026, 4, 1, 11)) not in timers
    assert (campaign.sent_count, campaign.total_count) == (3, 3)
    assert [call[1] for call in launch.calls] == ["2026-04-01T10:00:00Z"]
    events = [event["data"]["attributes"] for _, event in state.publisher.events]
    assert [(e["status"], e["status_reason"]) for e in events][-3:] == [
        ("paused", "paused"),
        ("in-progress", None),
        ("scheduled", None),
    ]


# --- recovery ---------------------------------------------------------------------------------


def test_sweep_recreates_lost_timers_and_fires_overdue_ones(app, session, make_campaign, timers, launch) -> None:
    now = utc(2026, 4, 1, 10)
    future = make_campaign(scheduled_at=now + timedelta(hours=1))
    due = make_campaign(scheduled_at=now + timedelta(seconds=10))
    overdue = make_campaign(recurring=True, cron="0 * * * *")
    stopped = make_campaign(scheduled_at=now + timedelta(hours=1))
    for campaign in (future, due, overdue):
        service.schedule_start(campaign, now - timedelta(minutes=30), timers=timers)
    timers.pending.clear()  # Redis lost its data

    report = recover_schedules(now=now + timedelta(seconds=12), timers=timers, launch=launch)
    assert (future.id, now + timedelta(hours=1)) in timers
    assert (due.id, now + timedelta(seconds=10)) in timers  # just due: the scheduler's job, not the sweep's
    assert stopped.id not in timers.pending
    assert (overdue.id, now) in timers  # 10:00 of the hourly one, 12 s ago: within two polls
    assert report.timers_recreated == 3 and report.overdue_fired == 0

    later = utc(2026, 4, 1, 10, 1)  # 10:00 of the hourly one is now overdue by a minute
    report = recover_schedules(now=later, timers=timers, launch=launch)
    assert report.overdue_fired == 2  # `due` and the hourly one
    assert {call[0] for call in launch.calls} == {due.id, overdue.id}
    assert reload(session, overdue).status_enum is CampaignStatus.PENDING
    # Again: nothing new (the claims hold).
    assert recover_schedules(now=later, timers=timers, launch=launch).overdue_fired == 0
    assert len(launch.calls) == 2


def test_sweep_reschedules_a_recurring_run_that_ended_without_next_time(session, make_campaign, timers, launch) -> None:
    campaign = make_campaign(recurring=True, cron="0 * * * *")
    service.schedule_start(campaign, utc(2026, 4, 1, 9, 30), timers=timers)
    service.fire(campaign.id, utc(2026, 4, 1, 10), launch=launch)
    session.execute(update(BroadcastCampaign.__table__).values(status=CampaignStatus.FAILED.value))
    session.commit()
    report = recover_schedules(now=utc(2026, 4, 1, 10, 5), timers=timers, launch=launch)
    assert report.rescheduled == 1
    campaign = reload(session, campaign)
    assert campaign.status_enum is CampaignStatus.SCHEDULED
    assert as_utc(campaign.next_run_at) == utc(2026, 4, 1, 11)
    assert (campaign.id, utc(2026, 4, 1, 11)) in timers


class _RedisDown:
    def add(self, campaign_id, fire_time):  # type: ignore[no-untyped-def]
        raise ConnectionError("redis is down")

    def cancel(self, campaign_id, fire_time):  # type: ignore[no-untyped-def]
        raise ConnectionError("redis is down")

    def __contains__(self, key):  # type: ignore[no-untyped-def]
        raise ConnectionError("redis is down")


def test_redis_down_at_start_still_schedules_and_the_sweep_sets_the_timer(session, make_campaign, timers) -> None:
    now = utc(2026, 4, 1, 10)
    campaign = make_campaign(scheduled_at=now + timedelta(hours=1))
    started = service.schedule_start(campaign, now, timers=_RedisDown())
    assert started.status_enum is CampaignStatus.SCHEDULED
    service.cancel_timer(campaign.id, started.next_run_at, timers=_RedisDown())  # logged, not raised
    assert recover_schedules(now=now, timers=timers).timers_recreated == 1
    assert (campaign.id, now + timedelta(hours=1)) in timers
