"""The mail server refuses connections, then answers 421, mid-campaign; then it comes back.

Promise: nothing is lost (the batch is retried with backoff, or re-queued by the sweep),
nothing is duplicated, at most one message per worker is in doubt (its data had gone out
when the server went away, the answer never came), and the campaign completes after the
server returns. The outage
lasts ``FAULTS_SMTP_OUTAGE`` seconds (default 30: half refused, half 421), with the
production retry policy (``BROADCASTS_RETRY_INTERVALS`` 5, 10, 30, … seconds).
"""

from __future__ import annotations

import os
import time

import pytest
import sqlalchemy as sa

from tests.support.faults.harness import Smtp421
from tests.support.faults.scenario import N, check, start, wait_completed, wait_sent

pytestmark = pytest.mark.faults

OUTAGE = float(os.environ.get("FAULTS_SMTP_OUTAGE", "30"))


def test_smtp_refusing_then_421_mid_campaign(app, env, smtp, fleet):
    campaign_id = start(app, env, BROADCASTS_RETRY_INTERVALS=[5, 10, 30, 60, 120], BROADCASTS_RETRY_MAX=10)
    fleet.worker(with_scheduler=True)
    fleet.worker()
    wait_sent(smtp, 300)
    smtp.stop()  # connection refused
    down_at = time.monotonic()
    at_down = smtp.count()
    time.sleep(OUTAGE / 2)
    busy = Smtp421(smtp.port)  # 421 to every connection
    time.sleep(OUTAGE / 2)
    busy.stop()
    smtp.start()
    assert smtp.count() == at_down  # nothing was accepted while the server was away
    assert at_down < N
    back_at = time.monotonic()
    took = wait_completed(campaign_id, back_at, timeout=180)
    # In doubt: at most one message per worker — the one whose data had gone out when the
    # server went away, before its answer (OutcomeUnknown). Both workers send at once, so
    # both connections can be cut at that point (seen: one run in the CI's, 2 in doubt).
    check(
        f"SMTP refused then 421 for {OUTAGE:.0f}s",
        smtp,
        campaign_id,
        time.monotonic() - down_at,
        max_in_doubt=2,
        note=f"down at {at_down}; done {took:.1f}s after it came back; {busy.connections} x 421",
    )


#: Connections already on their way when the first 421 of a pause came may arrive this much later.
IN_FLIGHT = 0.3


def test_smtp_421_on_connect_for_10s_backs_off_for_every_worker(app, env, smtp, fleet):
    """421 to every connection for 10 s: each pause is kept by both workers (no connection
    inside it beyond those already on their way), the pauses grow (an exponential back-off
    with jitter), nothing is lost or duplicated, and no message pays a try."""
    campaign_id = start(app, env, BROADCASTS_THROTTLE_BACKOFF=[1, 60])
    fleet.worker(with_scheduler=True)
    fleet.worker()
    wait_sent(smtp, 300)
    smtp.stop()
    busy = Smtp421(smtp.port)
    down_at = time.monotonic()
    time.sleep(10)
    busy.stop()
    smtp.start()
    back_at = time.monotonic()
    took = wait_completed(campaign_id, back_at, timeout=120)
    bursts: list[float] = []  # the first connection of each round of attempts
    last = -1.0
    for at in busy.connected_at:
        if at - last > IN_FLIGHT:
            bursts.append(at)
        last = at
    gaps = [b - a for a, b in zip(bursts, bursts[1:], strict=False)]
    # At least two rounds in 10 s (one CI run saw 2, 3.5 s apart, where the steps predict 4): the
    # growth of the pauses is asserted over whatever rounds there were.
    assert len(bursts) >= 2, busy.connected_at
    # Jitter draws each pause from [½, 1] of its step and the steps double: never shorter than the one before.
    assert gaps[0] >= 0.5 - IN_FLIGHT, gaps
    assert all(b >= a - IN_FLIGHT for a, b in zip(gaps, gaps[1:], strict=False)), gaps
    check(
        "SMTP 421 on connect for 10s",
        smtp,
        campaign_id,
        time.monotonic() - down_at,
        max_in_doubt=2,
        note=f"done {took:.1f}s after it came back; {busy.connections} x 421 in {len(bursts)} rounds, gaps {[round(g, 1) for g in gaps]}",
    )
    from tests.support.hostapp import db

    db.session.rollback()
    tries = db.session.execute(sa.text("SELECT max(tries) FROM broadcast_messages")).scalar()
    assert tries == 1
