"""Load: 20 concurrent API clients across two organizations while a 10,000-recipient campaign sends.

Each client lists campaigns, reads the big campaign (or tries to read the other
organization's), previews a draft and starts/stops a small campaign of its own
organization, as fast as it can, until the big campaign completes. Promise: no 5xx,
nothing of one organization in the other's answers, the campaign still exactly once;
the latency percentiles are reported. ``FAULTS_LOAD_N`` (default 10,000) sets the size.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections import Counter

import pytest
import requests
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastTemplate
from tests.support.faults.harness import TOKENS
from tests.support.faults.scenario import check, start, wait_completed
from tests.support.fixtures import ORG, campaign_row, make_campaign

pytestmark = pytest.mark.faults

LOAD_N = int(os.environ.get("FAULTS_LOAD_N", "10000"))
CLIENTS = 20
OTHER = "org-2"


def _campaigns_of_org2(count: int) -> list[int]:
    """Small draft campaigns of ``org-2`` (its own template, audience and 3 customers)."""
    from tests.support.hostapp import Customer, db

    db.session.add_all(
        Customer(
            organization_id=OTHER,
            first_name=f"B{i}",
            last_name="O",
            email=f"b{i}@org2.test",
            locale="en",
            status="active",
        )
        for i in range(3)
    )
    db.session.commit()
    ids = [make_campaign() for _ in range(count)]
    campaigns = BroadcastCampaign.__table__
    rows = db.session.execute(
        sa.select(campaigns.c.template_id, campaigns.c.audience_id).where(campaigns.c.id.in_(ids))
    ).all()
    db.session.execute(sa.update(campaigns).where(campaigns.c.id.in_(ids)).values(organization_id=OTHER))
    db.session.execute(
        sa.update(BroadcastTemplate.__table__)
        .where(BroadcastTemplate.id.in_([r.template_id for r in rows]))
        .values(organization_id=OTHER)
    )
    db.session.execute(
        sa.update(BroadcastAudience.__table__)
        .where(BroadcastAudience.id.in_([r.audience_id for r in rows]))
        .values(organization_id=OTHER)
    )
    db.session.commit()
    return ids


def test_twenty_clients_two_organizations_during_a_big_send(app, env, smtp, fleet):
    from tests.support.hostapp import Customer, db

    big = start(app, env, LOAD_N, filters={"status": "active"}, BROADCASTS_BATCH_SIZE=500, BROADCASTS_INSERT_CHUNK=1000)
    db.session.add_all(
        Customer(
            organization_id=ORG,
            first_name=f"X{i}",
            last_name="O",
            email=f"x{i}@org1.test",
            locale="en",
            status="inactive",
        )
        for i in range(3)
    )
    db.session.commit()
    own = {
        ORG: [make_campaign(filters={"status": "inactive"}) for _ in range(CLIENTS // 2)],
        OTHER: _campaigns_of_org2(CLIENTS // 2),
    }
    ids_of = {org: {str(i) for i in ids} | ({str(big)} if org == ORG else set()) for org, ids in own.items()}
    db.session.rollback()
    assert {
        str(c.organization_id)
        for c in db.session.query(BroadcastCampaign).filter(BroadcastCampaign.id.in_([int(i) for i in ids_of[OTHER]]))
    } == {OTHER}
    web = fleet.web(threads=24)
    fleet.worker(with_scheduler=True)
    fleet.worker()
    started = time.monotonic()

    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    leaks: list[str] = []
    errors: list[str] = []
    lock = threading.Lock()
    done = threading.Event()

    def client(number: int) -> None:
        org = ORG if number % 2 == 0 else OTHER
        mine = own[org][number // 2]
        foreign_org = OTHER if org == ORG else ORG
        session = requests.Session()
        session.headers["Authorization"] = f"Bearer {TOKENS[org]}"
        rng = random.Random(number)
        while not done.is_set():
            action = rng.choice(["list", "list", "read", "foreign", "preview", "startstop"])
            calls: list[tuple[str, str]] = []
            if action == "list":
                calls = [("GET", "/api/broadcast-campaigns?page[size]=50")]
            elif action == "read":
                calls = [("GET", f"/api/broadcast-campaigns/{big if org == ORG else mine}")]
            elif action == "foreign":
                calls = [("GET", f"/api/broadcast-campaigns/{rng.choice(sorted(ids_of[foreign_org]))}")]
            elif action == "preview":
                calls = [("GET", f"/api/broadcast-campaigns/{mine}/draft-messages")]
            else:
                calls = [
                    ("GET", f"/api/broadcast-campaigns/{mine}/start"),
                    ("GET", f"/api/broadcast-campaigns/{mine}/stop"),
                ]
            for method, path in calls:
                sep = "&" if "?" in path else "?"
                t0 = time.perf_counter()
                try:
                    response = session.request(method, f"{web.base}{path}{sep}o={org}", timeout=30)
                except requests.RequestException as exc:
                    with lock:
                        errors.append(f"{path}: {exc}")
                    continue
                elapsed = time.perf_counter() - t0
                with lock:
                    latencies.append(elapsed)
                    statuses[response.status_code] += 1
                if action == "foreign" and response.status_code != 404:
                    with lock:
                        leaks.append(f"{org} read {path}: {response.status_code}")
                if response.status_code == 200:
                    body = response.json()
                    items = body["data"] if isinstance(body["data"], list) else [body["data"]]
                    if "draft-messages" not in path:
                        foreign = [i["id"] for i in items if i["id"] not in ids_of[org]]
                        if foreign:
                            with lock:
                                leaks.append(f"{org} got {foreign} from {path}")

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for t in threads:
        t.start()
    try:
        took = wait_completed(big, started, timeout=300)
    finally:
        done.set()
        for t in threads:
            t.join(60)
    server_errors = sum(c for s, c in statuses.items() if s >= 500)
    ordered = sorted(latencies)

    def pct(p: float) -> float:
        return ordered[min(len(ordered) - 1, int(p * len(ordered)))] * 1000

    # The small campaigns go to 3 inactive customers of org-1 or 3 customers of org-2: not counted here.
    tally = check(
        "load: 20 API clients, 2 orgs",
        smtp,
        big,
        took,
        n=LOAD_N,
        max_in_doubt=0,
        note=(
            f"{len(latencies)} requests, {len(latencies) / took:.0f}/s; p50 {pct(0.5):.0f} ms, "
            f"p99 {pct(0.99):.0f} ms; 5xx {server_errors}; cross-tenant {len(leaks)}; "
            f"statuses {dict(sorted(statuses.items()))}"
        ),
    )
    assert not errors, errors[:5]
    assert server_errors == 0, (dict(statuses), fleet.output()[-3000:])
    assert not leaks, leaks[:5]
    assert tally.once == LOAD_N
    assert campaign_row(big).status == "completed"
