"""Workers dying mid-campaign: SIGKILL of the whole worker, of the work-horse only, SIGTERM.

Promise: every recipient gets the e-mail exactly once, except at most one message per
connection of the killed process (``BROADCASTS_MAIL_CONNECTIONS``, 8 here) whose outcome
is unknown (``failed`` / ``outcome_unknown``, never resent); a new worker plus the
scheduler finishes the campaign with no manual step; a warm stop leaves none in doubt.
"""

from __future__ import annotations

import signal
import time

import pytest

from tests.support.faults.harness import horse_of, kill_tree
from tests.support.faults.scenario import CONNECTIONS, N, check, start, wait_completed, wait_sent

pytestmark = pytest.mark.faults


def test_sigkill_worker_mid_campaign(app, env, smtp, fleet):
    campaign_id = start(app, env, BROADCASTS_MAIL_CONNECTIONS=CONNECTIONS)
    victim = fleet.worker()
    wait_sent(smtp, 300)
    kill_tree(victim)
    at_kill = smtp.count()
    assert 0 < at_kill < N, at_kill
    killed_at = time.monotonic()
    fleet.worker(with_scheduler=True)
    took = wait_completed(campaign_id, killed_at)
    assert took < 120
    tally = check(
        "SIGKILL worker (and horse), 8 connections",
        smtp,
        campaign_id,
        took,
        max_in_doubt=CONNECTIONS,
        note=f"killed at {at_kill}",
    )
    assert tally.in_doubt >= 1  # killed mid-campaign with 8 messages in flight: the bound is not vacuous


def test_sigkill_work_horse_only(app, env, smtp, fleet):
    campaign_id = start(app, env, BROADCASTS_MAIL_CONNECTIONS=CONNECTIONS)
    worker = fleet.worker(with_scheduler=True)
    wait_sent(smtp, 300)
    horse = horse_of(worker)
    horse.send_signal(signal.SIGKILL)
    at_kill = smtp.count()
    assert 0 < at_kill < N, at_kill
    killed_at = time.monotonic()
    # The same worker survives its horse and, with the sweep, finishes the campaign.
    took = wait_completed(campaign_id, killed_at)
    assert worker.poll() is None
    check(
        "SIGKILL work-horse only, 8 connections",
        smtp,
        campaign_id,
        took,
        max_in_doubt=CONNECTIONS,
        note=f"killed at {at_kill}",
    )


def test_sigterm_warm_stop(app, env, smtp, fleet):
    campaign_id = start(app, env, BROADCASTS_MAIL_CONNECTIONS=CONNECTIONS)
    worker = fleet.worker()
    wait_sent(smtp, 300)
    stop_at = time.monotonic()
    worker.send_signal(signal.SIGTERM)
    worker.wait(timeout=60)
    stopped_in = time.monotonic() - stop_at
    at_stop = smtp.count()
    # A warm stop finishes the batches in hand (BROADCASTS_BATCH_SIZE = 100 per connection), not the campaign.
    assert at_stop < N, "the warm stop waited for the whole campaign"
    assert stopped_in < 10, stopped_in
    fleet.worker(with_scheduler=True)
    took = wait_completed(campaign_id, stop_at)
    check(
        "SIGTERM (warm stop), 8 connections",
        smtp,
        campaign_id,
        took,
        max_in_doubt=0,
        note=f"stopped at {at_stop} in {stopped_in:.1f}s",
    )
