"""The web process SIGKILLed and restarted while dashboards hold websockets.

Promise: clients reconnect (to the restarted process on the same address) and the
final counts they show equal the database's: status ``completed``, ``sent_count`` = N.
Clients follow the documented protocol: on every (re)connect, re-read the campaign over
HTTP once the socket is open, then apply events.
"""

from __future__ import annotations

import time

import pytest

from tests.support.faults.harness import LiveView, wait_until
from tests.support.faults.scenario import check, start, wait_completed, wait_sent
from tests.support.fixtures import ORG, campaign_row

pytestmark = pytest.mark.faults

CLIENTS = 5


def test_web_killed_and_restarted_under_websockets(app, env, smtp, fleet):
    campaign_id = start(app, env)
    web = fleet.web()
    views = [LiveView(web.base, ORG, campaign_id).start() for _ in range(CLIENTS)]
    wait_until(lambda: all(v.connects for v in views), 20, what="websockets open")
    fleet.worker(with_scheduler=True)
    fleet.worker()
    wait_sent(smtp, 300)
    wait_until(lambda: all(v.events for v in views), 20, what="events at every client")
    web.kill()  # SIGKILL: sockets die without a close frame
    killed_at = time.monotonic()
    time.sleep(2)
    web.start()  # same port
    took = wait_completed(campaign_id, killed_at)
    row = campaign_row(campaign_id)
    expected = {
        "status": "completed",
        "sent_count": row.sent_count,
        "failed_count": row.failed_count,
        "total_count": row.total_count,
    }
    try:
        wait_until(
            lambda: all({k: v.state.get(k) for k in expected} == expected for v in views),
            20,
            what="every client to show the final counts",
        )
    finally:
        for view in views:
            view.stop()
    assert all(v.connects >= 2 for v in views)
    reconnect = max(max(v.reconnect_seconds) for v in views)
    check(
        "web SIGKILLed + restarted (websockets)",
        smtp,
        campaign_id,
        took,
        max_in_doubt=0,
        note=f"{CLIENTS} clients reconnected within {reconnect:.1f}s (web down 2s); final counts right",
    )
