"""Tests of flask_broadcasts.engine.expiry.

Send-by (``expires_at``): what is not sent by then fails ``expired``, and the run completes.

In process, on the suite's database and a real SMTP server, with a recording dispatcher
in place of RQ: the send batch expires what it would claim (and the rest of the batch in
hand once the time passes), the recovery sweep expires the runs no send job visits —
a paused one included, which completes.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import pause_campaign, start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.recovery import recover
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage, utcnow
from flask_broadcasts.state import get_state
from tests.support.dispatch import RecordingDispatcher
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers

N = 12


@pytest.fixture
def dispatcher(app) -> RecordingDispatcher:
    recording = RecordingDispatcher()
    get_state(app).dispatcher = recording
    return recording


def _started(expires_in: timedelta) -> int:
    from tests.support.hostapp import db

    seed_customers(N)
    campaign_id = make_campaign()
    db.session.execute(
        sa.update(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id).values(expires_at=utcnow() + expires_in)
    )
    db.session.commit()
    start_campaign(ORG, campaign_id)
    assert materialize_run(campaign_id, "once", "worker-a") == N
    return campaign_id


def _outcomes(campaign_id: int) -> list[tuple[str, str | None]]:
    from tests.support.hostapp import db

    db.session.rollback()
    rows = db.session.execute(
        sa.select(BroadcastMessage.status, BroadcastMessage.error_code).where(
            BroadcastMessage.campaign_id == campaign_id
        )
    )
    return sorted(tuple(r) for r in rows)


def test_a_run_past_its_send_by_sends_nothing_and_completes(app, dispatcher, smtp):
    campaign_id = _started(timedelta(seconds=-1))

    send_batch(campaign_id, "once", "worker-a")

    assert smtp.count() == 0
    assert _outcomes(campaign_id) == [("failed", "expired")] * N
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 0, N, N)


def test_the_batch_in_hand_stops_when_the_time_passes(app, dispatcher, smtp):
    from tests.support.hostapp import db

    # 12 messages take about 8 s; the send-by comes after 4 s (room for a loaded machine's first
    # message: a CI run under load sent none in 2 s).
    smtp.delay = 0.65
    campaign_id = _started(timedelta(hours=1))
    # Set only now: however long seeding and materializing took on a loaded machine.
    db.session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id)
        .values(expires_at=utcnow() + timedelta(seconds=4))
    )
    db.session.commit()

    send_batch(campaign_id, "once", "worker-a")

    outcomes = _outcomes(campaign_id)
    sent = outcomes.count(("completed", None))
    assert 0 < sent < N and outcomes.count(("failed", "expired")) == N - sent
    assert smtp.count() == sent  # what expired never reached the server
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count) == ("completed", sent, N - sent)


def test_the_sweep_expires_a_paused_run_which_completes(app, dispatcher, smtp):
    from tests.support.hostapp import db

    campaign_id = _started(timedelta(hours=1))
    pause_campaign(ORG, campaign_id)
    db.session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id)
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()

    report = recover()

    assert report.expired == [campaign_id]
    assert _outcomes(campaign_id) == [("failed", "expired")] * N
    row = campaign_row(campaign_id)
    assert (row.status, row.status_reason, row.failed_count, row.total_count) == ("completed", None, N, N)
    assert recover().expired == []  # nothing left to expire
