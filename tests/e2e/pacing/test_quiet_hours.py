"""Quiet hours through real processes: a ``send_window`` that opens a few seconds after the start.

A ``flask broadcasts worker`` (with RQ's scheduler in it) and a ``flask broadcasts scheduler``
process, a real SMTP server. The run stores every message ``pending`` with its
``not_before``; the send job finds nothing it may claim, says ``waiting_for_window`` and
queues its wake-up for the opening; nothing reaches the server before it, everything once
after it, and the campaign completes.
"""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from redis import Redis
from rq import Queue, Worker

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastCampaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.processes import wait_for

N = 30
#: Time for the run to be stored, and its first send job to find nothing to send, before the window opens.
LEAD = 5


def test_nothing_arrives_before_the_window_opens_and_everything_once_after(app, env, smtp, processes):
    from tests.support.hostapp import db

    seed_customers(N)
    campaign_id = make_campaign()
    processes.worker()
    processes.scheduler()
    # The window is set once the worker is up: how long a loaded machine takes to start one
    # is no part of the lead.
    queue = Queue(json.loads(env["BCAST_TEST_CONFIG"])["BROADCASTS_QUEUE"], connection=Redis.from_url(env["REDIS_URL"]))
    wait_for(lambda: Worker.count(queue=queue) >= 1, 60, "the worker to start")
    opens = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=LEAD)
    window = {"start": opens.strftime("%H:%M:%S"), "end": (opens + timedelta(hours=1)).strftime("%H:%M:%S")}
    db.session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id)
        .values(send_window=window, timezone="UTC")
    )
    db.session.commit()
    # The monotonic clock of the SMTP server's arrival times, at the window's opening.
    opens_monotonic = time.monotonic() + (opens - datetime.now(UTC)).total_seconds()
    start_campaign(ORG, campaign_id)
    seen = set()

    def reason(wanted):
        row = campaign_row(campaign_id)
        seen.add(row.status_reason)
        return row if wanted(row) else None

    waiting = wait_for(lambda: reason(lambda r: r.status_reason == "waiting_for_window"), LEAD, "waiting_for_window")
    assert (waiting.status, waiting.sent_count) == ("in-progress", 0)
    row = wait_for(lambda: reason(lambda r: r.status == "completed"), LEAD + 60, "the run to complete")
    output = processes.stop()
    assert (row.sent_count, row.failed_count, row.total_count, row.status_reason) == (N, 0, N, None), output
    arrivals = sorted(m.at for m in smtp.received)
    assert arrivals[0] >= opens_monotonic - 0.05, (arrivals[0] - opens_monotonic, output)
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, N + 1))
    print(
        f"first message {arrivals[0] - opens_monotonic:.2f} s after the opening, last {arrivals[-1] - opens_monotonic:.2f} s"
    )
