"""Pause, then SIGKILL the worker, then resume with a new worker.

Promise: 0 duplicated, 0 lost beyond the in-doubt bound (at most one message per
connection of the killed worker, ``outcome_unknown``; 8 connections here); the pause holds while no worker runs, and the sweep of the
new worker's scheduler does not resume it.
"""

from __future__ import annotations

import time

import pytest

from flask_broadcasts.engine.lifecycle import pause_campaign, resume_campaign
from tests.support.faults.harness import kill_tree
from tests.support.faults.scenario import CONNECTIONS, N, check, start, wait_completed, wait_sent
from tests.support.fixtures import ORG, campaign_row

pytestmark = pytest.mark.faults


def test_pause_sigkill_worker_then_resume_with_a_new_one(app, env, smtp, fleet):
    campaign_id = start(app, env, BROADCASTS_MAIL_CONNECTIONS=CONNECTIONS)
    victim = fleet.worker()
    wait_sent(smtp, 300)
    assert pause_campaign(ORG, campaign_id).status == "paused"
    kill_tree(victim)
    # The killed worker's last bytes may still be in the server's socket buffers: count once
    # the server has seen every one of its connections close.
    deadline = time.monotonic() + 10
    while smtp.open_connections and time.monotonic() < deadline:
        time.sleep(0.05)
    at_kill = smtp.count()
    assert 0 < at_kill < N, at_kill
    # A new worker with the recovery sweep: the pause holds (the claim of the killed worker,
    # if any, is taken over and released, not resumed).
    fleet.worker(with_scheduler=True)
    time.sleep(8)  # > BROADCASTS_CLAIM_TTL + BROADCASTS_RECOVERY_INTERVAL of the scenario
    assert smtp.count() == at_kill
    assert campaign_row(campaign_id).status == "paused"
    resumed_at = time.monotonic()
    assert resume_campaign(ORG, campaign_id).status == "in-progress"
    took = wait_completed(campaign_id, resumed_at)
    check(
        "pause, SIGKILL worker, resume (8 connections)",
        smtp,
        campaign_id,
        took,
        max_in_doubt=CONNECTIONS,
        note=f"paused at {at_kill}",
    )
