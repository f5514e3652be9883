"""The deliverability guard through real processes: two worker processes send 300 e-mails to a
real SMTP server while a storm of signed Mailgun complaint webhooks hits the app on a real HTTP
server (eight at a time); with ``BROADCASTS_GUARD_MIN_SENT=50`` the guard pauses the run
(``deliverability_guard``, with its event), every worker halts, and the operator's resume sends
the rest exactly once without the guard pausing it again for what came before."""

from __future__ import annotations

import json
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor

import requests
import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import resume_campaign, start_campaign
from flask_broadcasts.models import BroadcastMessage, BroadcastSentEmail
from tests.support.feedback import MAILGUN_KEY, mailgun_body, mailgun_event
from tests.support.fixtures import ORG, campaign_row, event_channel, make_campaign, seed_customers, set_config
from tests.support.processes import start_subscriber, start_worker, stop_workers, wait_for
from tests.support.unsubscribe import http_server

N = 300
WORKERS = 2
#: Every third message (by id) draws a complaint once sent: far above 0.3 % once 50 are sent.
EVERY = 3
CONFIG = {
    "BROADCASTS_GUARD_MIN_SENT": 50,
    "BROADCASTS_BATCH_SIZE": 25,
    "BROADCASTS_PROGRESS_INTERVAL": 0,
    "BROADCASTS_MAIL_CONNECTIONS": 1,
    "BROADCASTS_MAILGUN_SIGNING_KEY": MAILGUN_KEY,
}


def _sent_emails(db, campaign_id: int) -> list[tuple[int, str, str]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(BroadcastSentEmail.message_id, BroadcastSentEmail.message_id_header, BroadcastSentEmail.recipient)
        .join(BroadcastMessage, BroadcastMessage.id == BroadcastSentEmail.message_id)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .order_by(BroadcastSentEmail.message_id)
    ).all()
    db.session.rollback()
    return [tuple(row) for row in rows]


def _claimed(db, campaign_id: int) -> int:
    db.session.rollback()
    return db.session.scalar(
        sa.select(sa.func.count()).where(
            BroadcastMessage.campaign_id == campaign_id, BroadcastMessage.claimed_by.is_not(None)
        )
    )


class Storm:
    """Posts a signed complaint for every EVERY-th e-mail sent, as soon as its row exists."""

    def __init__(self, app, db, campaign_id: int, url: str) -> None:
        self.app, self.db, self.campaign_id, self.url = app, db, campaign_id, url
        self.stop = threading.Event()
        self.answers: Counter[int] = Counter()
        self.posted: set[str] = set()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _post(self, header: str, recipient: str) -> None:
        body = mailgun_body(mailgun_event("complained", header, recipient))
        answer = requests.post(self.url, data=body, headers={"Content-Type": "application/json"}, timeout=20)
        self.answers[answer.status_code] += 1

    def _run(self) -> None:
        with self.app.app_context(), ThreadPoolExecutor(8) as pool:
            deadline = time.monotonic() + 90
            while not self.stop.is_set() and time.monotonic() < deadline:
                for message_id, header, recipient in _sent_emails(self.db, self.campaign_id):
                    if message_id % EVERY == 0 and header not in self.posted:
                        self.posted.add(header)
                        pool.submit(self._post, header, recipient)
                time.sleep(0.05)

    def __enter__(self) -> Storm:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(60)


def test_a_complaint_storm_pauses_the_run_and_resume_sends_the_rest_once(app, env, smtp):
    from tests.support.hostapp import db

    set_config(env, app, **CONFIG)
    # A slow server until the pause (the storm lands while the run goes, even on a loaded
    # machine: 300 messages take 7.5 s), a fast one for the rest.
    smtp.delay = 0.05
    seed_customers(N)
    campaign_id = make_campaign()
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))
    start_campaign(ORG, campaign_id)
    workers = [start_worker(env, burst=False) for _ in range(WORKERS)]
    outputs = ""
    try:
        with http_server(app) as base, Storm(app, db, campaign_id, base + "/api/broadcast-callbacks/mailgun") as storm:
            row = wait_for(
                lambda: (r := campaign_row(campaign_id)).status == "paused" and r,
                60,
                "the guard's pause",
            )
            assert row.status_reason == "deliverability_guard"
            # Every worker halts: claims released, the server's count flat.
            wait_for(lambda: _claimed(db, campaign_id) == 0, 15, "the claims to be released")
            time.sleep(0.3)
            held = smtp.count()
            time.sleep(1)
            assert smtp.count() == held < N
        assert storm.answers and set(storm.answers) == {204}, storm.answers
        row = campaign_row(campaign_id)
        assert row.status == "paused" and row.sent_count == held
        # Every complaint posted was applied once (the later ones too: a paused run still counts).
        assert row.complained_count == len(storm.posted)
        assert row.sent_count >= 50 and row.complained_count / row.sent_count > 0.003

        # The operator resumes: the guard judges only what is sent from now on.
        smtp.delay = 0.005
        assert resume_campaign(ORG, campaign_id).status == "in-progress"
        wait_for(lambda: campaign_row(campaign_id).status == "completed", 60, "completion")
    finally:
        outputs = stop_workers(workers)
    row = campaign_row(campaign_id)
    assert (row.sent_count, row.failed_count, row.total_count, row.status_reason) == (N, 0, N, None), outputs
    assert row.complained_count == len(storm.posted)
    assert row.guard_baseline["sent"] == held and row.guard_baseline["complained"] == len(storm.posted)
    received = Counter(smtp.recipients())
    assert len(received) == N and set(received.values()) == {1}
    out, _ = subscriber.communicate(timeout=10)
    events = [json.loads(line)["data"]["attributes"] for line in out.decode().splitlines()]
    reasons = [(e["status"], e["status_reason"]) for e in events]
    assert ("paused", "deliverability_guard") in reasons
    assert reasons[-1] == ("completed", None)
    assert "in-progress" in [status for status, _ in reasons[reasons.index(("paused", "deliverability_guard")) :]]
