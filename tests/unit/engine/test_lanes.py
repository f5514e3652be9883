"""How many lanes a send job runs: never more than its database pool can hold at once."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.pool import NullPool, QueuePool

from flask_broadcasts.engine.lanes import lanes_the_pool_holds


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
