"""Shared steps of the sending faults: seed N customers, start a campaign, wait, count."""

from __future__ import annotations

import time
from typing import Any

from flask_broadcasts.engine.lifecycle import start_campaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config

from .harness import N, Tally, addresses, record, wait_until

#: Short leases and a fast sweep so that a dead worker's claim is taken over in seconds.
FAST_RECOVERY = {
    "BROADCASTS_CLAIM_TTL": 6,
    "BROADCASTS_RECOVERY_INTERVAL": 3,
    "BROADCASTS_SCHEDULER_INTERVAL": 1,
    "BROADCASTS_BATCH_SIZE": 100,
    "BROADCASTS_INSERT_CHUNK": 500,
    # One connection per send job: the faults of the services (Redis, PostgreSQL, SMTP) keep
    # the bound of one message in doubt per worker; test_workers and test_pause run with 8.
    "BROADCASTS_MAIL_CONNECTIONS": 1,
}

#: The connections per send job of the worker faults: the bound is one message in doubt per connection.
CONNECTIONS = 8


def start(app: Any, env: dict[str, str], n: int = N, *, filters: dict | None = None, **config: Any) -> int:
    """Seed ``n`` active customers ``c1..cN@example.test`` and start a campaign to them."""
    set_config(env, app, **{**FAST_RECOVERY, **config})
    seed_customers(n)
    campaign_id = make_campaign(filters=filters)
    start_campaign(ORG, campaign_id)
    return campaign_id


def wait_sent(smtp: Any, at_least: int, timeout: float = 60) -> int:
    wait_until(lambda: smtp.count() >= at_least, timeout, what=f"{at_least} messages at the SMTP server")
    return smtp.count()


def wait_completed(campaign_id: int, since: float, timeout: float = 120) -> float:
    wait_until(
        lambda: campaign_row(campaign_id).status == "completed",
        timeout,
        interval=0.3,
        what=f"campaign {campaign_id} to complete",
    )
    return time.monotonic() - since


def check(
    fault: str, smtp: Any, campaign_id: int, took: float, *, n: int = N, max_in_doubt: int = 0, note: str = ""
) -> Tally:
    """Count, record the figures, and assert the exactly-once promise."""
    tally = Tally.count(smtp, addresses(n), campaign_id)
    record(fault, **tally.figures(), seconds=round(took, 1), note=note)
    row = campaign_row(campaign_id)
    assert tally.duplicated == 0, tally.duplicated_addresses
    assert tally.lost == 0, tally.lost_addresses
    assert tally.in_doubt <= max_in_doubt, tally
    assert tally.once + tally.in_doubt >= n
    assert row.status == "completed"
    assert row.total_count == n == row.sent_count + row.failed_count
    assert row.failed_count == tally.in_doubt
    return tally
