"""PostgreSQL restarted mid-campaign (a throwaway cluster of this test's own, never the machine's).

Promise: workers reconnect by themselves; nothing is lost or duplicated. A message whose
acceptance could not be recorded because the database went away is in doubt
(``outcome_unknown``), never resent.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.support.database import MigratedDatabase, build_extension_schema
from tests.support.faults.harness import PostgresCluster
from tests.support.faults.scenario import N, check, start, wait_completed, wait_sent
from tests.support.host import HostBase

pytestmark = pytest.mark.faults


@pytest.fixture(scope="module")
def cluster() -> Iterator[PostgresCluster]:
    cluster = PostgresCluster().init().start()
    build_extension_schema(cluster.url, HostBase.metadata)
    yield cluster
    cluster.destroy()


@pytest.fixture
def migrated(cluster: PostgresCluster) -> Iterator[MigratedDatabase]:
    # A fresh engine per test: the previous test's pooled connections died with the restart.
    migrated = MigratedDatabase(cluster.url)
    yield migrated
    migrated.dispose()


@pytest.mark.parametrize("mode", ["immediate", "fast"])
def test_postgres_restarted_mid_campaign(app, env, smtp, fleet, cluster, mode):
    from tests.support.hostapp import db

    campaign_id = start(app, env)
    fleet.worker(with_scheduler=True)
    fleet.worker()
    wait_sent(smtp, 300)
    at_restart = smtp.count()
    restarted_at = time.monotonic()
    cluster.restart(mode, down_for=2)
    db.session().invalidate()  # this test process's own connections died with the server
    db.engine.dispose()
    took = wait_completed(campaign_id, restarted_at)
    assert at_restart < N
    check(
        f"PostgreSQL restart ({mode})",
        smtp,
        campaign_id,
        took,
        max_in_doubt=2,
        note=f"restarted at {at_restart}, down 2s; 2 workers",
    )
