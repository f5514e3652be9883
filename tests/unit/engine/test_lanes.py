"""How many lanes a send job runs (never more than its database pool can hold at once), and how much each claims."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool, QueuePool

from flask_broadcasts.engine.lanes import CLAIM_SECONDS, TAIL_SPREAD, lanes_the_pool_holds, next_claim_size


def _pool(**options) -> sa.pool.Pool:
    # Never connected: only the pool's bounds are read.
    return sa.create_engine("postgresql+psycopg://u@127.0.0.1:1/db", **options).pool


def test_flask_sqlalchemys_default_pool_holds_seven_lanes_of_two_connections_and_the_job():
    pool = _pool()  # 5 + 10 overflow, what Flask-SQLAlchemy gets by default
    assert isinstance(pool, QueuePool)
    assert lanes_the_pool_holds(pool) == 7


def test_a_larger_pool_holds_the_default_eight_lanes():
    assert lanes_the_pool_holds(_pool(pool_size=10, max_overflow=10)) == 9


def test_a_tiny_pool_still_sends_over_one_lane():
    assert lanes_the_pool_holds(_pool(pool_size=1, max_overflow=0)) == 1


def test_unbounded_pools_do_not_limit_the_lanes():
    assert lanes_the_pool_holds(_pool(max_overflow=-1)) is None
    assert lanes_the_pool_holds(_pool(poolclass=NullPool)) is None


def test_a_lane_through_a_slow_relay_claims_little_more_than_its_share():
    # 8 lanes of a batch of 500; 63 messages in 1.4 s (10 ms a reply and the rest): 45 a second.
    assert next_claim_size(500, 8, 63, 1.4, remaining=100_000) == int(45 * CLAIM_SECONDS)
    assert next_claim_size(500, 8, 63, 1.4, remaining=2_000) == 63  # a 2,000-message run: its share


def test_a_fast_lane_claims_about_its_pace_for_claim_seconds_up_to_the_batch_size():
    assert next_claim_size(500, 8, 63, 0.5, remaining=100_000) == int(126 * CLAIM_SECONDS)  # 126 a second
    assert next_claim_size(500, 8, 63, 0.05, remaining=100_000) == 500  # 1,260 a second: the batch, no more


def test_a_runs_last_messages_are_claimed_in_shares_so_they_spread_over_every_lane():
    # 3,000 left: at most 3,000 / (4 x 8) = 93 each, whatever the pace.
    assert next_claim_size(500, 8, 63, 0.05, remaining=3_000) == 3_000 // (TAIL_SPREAD * 8)
    assert next_claim_size(500, 8, 63, 0.05, remaining=500) == 63  # never below the share


def test_a_lane_that_settled_nothing_or_knows_nothing_of_the_run_claims_its_share_again():
    assert next_claim_size(500, 8, 0, 0.2, remaining=100_000) == 63  # (a window closed, a deferred message)
    assert next_claim_size(500, 8, 10, 0.0, remaining=100_000) == 63
    assert next_claim_size(500, 8, 63, 0.05, remaining=None) == 63  # no flush counted anything yet
