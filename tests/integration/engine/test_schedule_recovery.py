"""flask_broadcasts.engine.schedule_recovery: the sweep makes Redis agree with ``next_run_at``.

What an operator relies on: after Redis lost its timers, a waiting campaign gets its timer
back and is not counted twice; one overdue by more than two scheduler polls is started by
the sweep itself (and its stale timer dropped), where "two polls" follows
``BROADCASTS_SCHEDULER_INTERVAL``; a stopped or one-off campaign is never brought back.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import update

from flask_broadcasts.engine.schedule import fire, schedule_start
from flask_broadcasts.engine.schedule_recovery import recover_schedules
from flask_broadcasts.models import BroadcastCampaign
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus

NOW = datetime(2026, 4, 1, 10, tzinfo=UTC)


def _status(session, campaign_id: int) -> CampaignStatus:
    session.expire_all()
    return session.get(BroadcastCampaign, campaign_id).status_enum


def test_a_timer_still_there_is_left_alone_and_a_lost_one_is_set_once(session, make_campaign, timers, launch) -> None:
    kept = make_campaign(scheduled_at=NOW + timedelta(hours=1))
    lost = make_campaign(scheduled_at=NOW + timedelta(hours=2))
    schedule_start(kept, NOW, timers=timers)
    schedule_start(lost, NOW, timers=timers)
    timers.cancel(lost.id, NOW + timedelta(hours=2))

    first = recover_schedules(now=NOW, timers=timers, launch=launch)
    again = recover_schedules(now=NOW, timers=timers, launch=launch)

    assert (first.timers_recreated, again.timers_recreated) == (1, 0)
    assert (lost.id, NOW + timedelta(hours=2)) in timers
    assert timers.pending[kept.id] == {NOW + timedelta(hours=1)}
    assert launch.calls == []


def test_an_overdue_occurrence_is_started_by_the_sweep_and_its_timer_dropped(
    session, make_campaign, timers, launch
) -> None:
    fire_time = NOW + timedelta(minutes=5)
    campaign = make_campaign(scheduled_at=fire_time)
    schedule_start(campaign, NOW, timers=timers)

    report = recover_schedules(now=fire_time + timedelta(minutes=1), timers=timers, launch=launch)

    assert report.overdue_fired == 1
    assert launch.calls == [(campaign.id, "once", fire_time)]
    assert _status(session, campaign.id) is CampaignStatus.PENDING
    assert (campaign.id, fire_time) not in timers  # the scheduler will not go off for it later


def test_overdue_means_more_than_two_polls_of_the_configured_interval(
    app, session, make_campaign, timers, launch
) -> None:
    fire_time = NOW + timedelta(minutes=5)
    campaign = make_campaign(scheduled_at=fire_time)
    schedule_start(campaign, NOW, timers=timers)
    timers.pending.clear()
    late = fire_time + timedelta(seconds=40)
    settings = get_state(app).settings

    settings.scheduler_interval = 20  # two polls and 5 s: 45 s, the scheduler may still take it
    assert recover_schedules(now=late, timers=timers, launch=launch).timers_recreated == 1
    assert launch.calls == []

    settings.scheduler_interval = 5  # 15 s: 40 s late is the sweep's to start
    assert recover_schedules(now=late, timers=timers, launch=launch).overdue_fired == 1
    assert [call[0] for call in launch.calls] == [campaign.id]


def test_a_stopped_recurring_campaign_and_a_finished_one_off_stay_as_they_are(
    session, make_campaign, timers, launch
) -> None:
    stopped = make_campaign(recurring=True, cron="0 * * * *")
    one_off = make_campaign(scheduled_at=NOW + timedelta(minutes=5))
    for campaign in (stopped, one_off):
        schedule_start(campaign, NOW, timers=timers)
    assert fire(stopped.id, NOW + timedelta(hours=1), launch=launch)
    assert fire(one_off.id, NOW + timedelta(minutes=5), launch=launch)
    table = BroadcastCampaign.__table__
    session.execute(update(table).where(table.c.id == stopped.id).values(status=CampaignStatus.DRAFT.value))
    session.execute(update(table).where(table.c.id == one_off.id).values(status=CampaignStatus.COMPLETED.value))
    session.commit()
    timers.pending.clear()

    report = recover_schedules(now=NOW + timedelta(hours=1, minutes=5), timers=timers, launch=launch)

    assert (report.rescheduled, report.timers_recreated, report.overdue_fired) == (0, 0, 0)
    assert _status(session, stopped.id) is CampaignStatus.DRAFT
    assert _status(session, one_off.id) is CampaignStatus.COMPLETED
    assert timers.pending == {}
