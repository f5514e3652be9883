"""SIGKILL a worker mid-campaign; a new worker with the scheduler finishes it, exactly once."""

from __future__ import annotations

import os
import signal
import time
from collections import Counter

import psutil
import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastMessage
from flask_broadcasts.services.campaign_runs import start_campaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config
from tests.support.processes import start_worker

N = 2000


def _kill_tree(proc) -> None:
    parent = psutil.Process(proc.pid)
    for p in [parent, *parent.children(recursive=True)]:
        try:
            p.send_signal(signal.SIGKILL)
        except psutil.NoSuchProcess:
            pass
    proc.wait(timeout=10)


@pytest.mark.faults
def test_sigkilled_worker_campaign_finishes_exactly_once(app, env, smtp, is_postgres):
    if not is_postgres:
        pytest.skip("the fault test runs on PostgreSQL")
    from tests.support.hostapp import db

    set_config(env, app, BROADCASTS_CLAIM_TTL=6, BROADCASTS_RECOVERY_INTERVAL=3, BROADCASTS_SCHEDULER_INTERVAL=1,
               BROADCASTS_BATCH_SIZE=100, BROADCASTS_INSERT_CHUNK=500)
    seed_customers(N)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    victim = start_worker(env, burst=False)
    deadline = time.monotonic() + 60
    while smtp.count() < 300 and time.monotonic() < deadline:
        time.sleep(0.02)
    _kill_tree(victim)
    at_kill = smtp.count()
    assert 0 < at_kill < N, at_kill

    killed_at = time.monotonic()
    survivor = start_worker(env, burst=False, with_scheduler=True)
    try:
        while campaign_row(campaign_id).status != "completed" and time.monotonic() - killed_at < 120:
            time.sleep(0.5)
    finally:
        survivor.send_signal(signal.SIGTERM)
        try:
            survivor.wait(timeout=15)
        except Exception:
            _kill_tree(survivor)
    took = time.monotonic() - killed_at
    row = campaign_row(campaign_id)
    assert row.status == "completed", took
    assert took < 120

    received = Counter(smtp.recipients())
    assert max(received.values()) == 1, [a for a, c in received.items() if c > 1]
    db.session.rollback()
    unknown = db.session.execute(
        sa.select(BroadcastMessage.email).where(BroadcastMessage.error == "outcome_unknown")).scalars().all()
    assert len(unknown) <= 1
    everyone = {f"c{i}@example.test" for i in range(1, N + 1)}
    assert set(received) | set(unknown) == everyone
    assert row.total_count == N == row.sent_count + row.failed_count
    assert row.failed_count == len(unknown)
    print(f"killed after {at_kill} messages; finished {took:.1f}s later; outcome_unknown={len(unknown)}")
