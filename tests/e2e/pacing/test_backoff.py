"""A gateway that says "not now" is obeyed by every worker: Twilio's 429 with ``Retry-After``.

The stand-in answers every request 429 with ``Retry-After: 2`` for 5 s from the first
one. No request reaches it inside a pause it named (beyond those already on their way
when it answered), no message pays a try, every message goes out once when it recovers,
and the campaign says ``throttled`` while it lasts — one event when it starts, one when
it ends.
"""

from __future__ import annotations

import json
from collections import Counter

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, event_channel, make_campaign, set_config
from tests.support.processes import start_subscriber, start_worker, stop_process, stop_workers, wait_for
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, SENDER

N = 40
#: A request already on its way when the gateway answered 429 may still arrive this late.
IN_FLIGHT = 0.3


def _seed(n: int) -> None:
    from tests.support.hostapp import Customer, db

    rows = [
        {"organization_id": ORG, "first_name": f"Ann{i}", "last_name": "Lee", "mobile": f"+1415555{3000 + i}"}
        for i in range(n)
    ]
    db.session.execute(sa.insert(Customer), [{**r, "locale": "en", "status": "active"} for r in rows])
    db.session.commit()


def test_twilio_429_with_retry_after_pauses_every_worker_then_all_go_out_once(app, env, twilio_standin):
    from tests.support.hostapp import db

    set_config(
        env,
        app,
        BROADCASTS_SMS_PROVIDER="twilio",
        BROADCASTS_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        BROADCASTS_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        BROADCASTS_TWILIO_FROM=SENDER,
        BROADCASTS_TWILIO_BASE_URL=twilio_standin.url,
        BROADCASTS_PUBLIC_URL="https://sms.example.com",
        BROADCASTS_BATCH_SIZE=10,
        BROADCASTS_SMS_CONCURRENCY=4,
    )
    twilio_standin.throttle_for, twilio_standin.retry_after = 5.0, "2"
    _seed(N)
    campaign_id = make_campaign(channels=("sms",))
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))
    workers = [start_worker(env, burst=False) for _ in range(2)]
    try:
        start_campaign(ORG, campaign_id)
        seen = set()

        def done():
            row = campaign_row(campaign_id)
            seen.add(row.status_reason)
            return row if row.status == "completed" else None

        row = wait_for(done, 60, "the run to complete")
    finally:
        outputs = stop_workers(workers)
        events = [json.loads(line) for line in stop_process(subscriber).splitlines() if line.startswith("{")]
    assert (row.sent_count, row.failed_count, row.total_count, row.status_reason) == (N, 0, N, None), outputs
    assert "throttled" in seen

    answers = sorted(twilio_standin.answers)
    accepted = Counter(to for _, status, to in answers if status == 201)
    assert len(accepted) == N and max(accepted.values()) == 1  # every message once
    refusals = [at for at, status, _ in answers if status == 429]
    assert refusals, "the gateway never throttled"
    for refused_at in refusals:  # nobody asked again before the time it named
        early = [at for at, _, _ in answers if refused_at + IN_FLIGHT < at < refused_at + 2 - 0.05]
        assert not early, (refused_at, early)
    # Recovered: sent after the throttling window, and no message paid a try for it.
    assert min(at for at, status, _ in answers if status == 201) >= twilio_standin.throttle_started + 5
    db.session.rollback()
    assert set(db.session.execute(sa.select(BroadcastMessage.tries)).scalars()) == {1}

    # One event when throttling started, one when it ended: the reason changes twice.
    reasons = [e["data"]["attributes"].get("status_reason") for e in events]
    changes = [b for a, b in zip(reasons, reasons[1:], strict=False) if a != b]
    print("refusals", [round(r - refusals[0], 2) for r in refusals], "events", len(events))
    assert changes == ["throttled", None], reasons
