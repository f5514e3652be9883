"""Whole campaigns through real RQ worker processes, a real SMTP server and Redis."""

from __future__ import annotations

import email
import json

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastFileBlob, BroadcastMessage, BroadcastRun, BroadcastSentEmail
from flask_broadcasts.services.files import attach_file
from tests.support.fixtures import ORG, campaign_row, event_channel, make_campaign, seed_customers, set_config
from tests.support.processes import run_workers, start_subscriber


def _messages(db, campaign_id):
    return (
        db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id))
        .scalars()
        .all()
    )


def _with_config(env, **config):
    """``env`` for worker processes with more ``BROADCASTS_*`` settings."""
    return {**env, "BCAST_TEST_CONFIG": json.dumps({**json.loads(env["BCAST_TEST_CONFIG"]), **config})}


def test_customers_campaign_runs_to_completion(app, env, smtp):
    from tests.support.hostapp import db

    # No minimum interval between counter updates: an event at every multiple of 5. One
    # connection per send job: with several, their flushes interleave and a multiple can be
    # announced only further past it (seen once on PostgreSQL: 3, 10, 17, 24).
    env = _with_config(env, BROADCASTS_PROGRESS_INTERVAL=0, BROADCASTS_MAIL_CONNECTIONS=1)
    seed_customers(120, no_email_every=40)
    campaign_id = make_campaign()
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))
    campaign = start_campaign(ORG, campaign_id)
    assert campaign.status == "pending"
    outputs = run_workers(env, count=2)

    row = campaign_row(campaign_id)
    assert row.status == "completed", outputs
    assert (row.total_count, row.sent_count, row.failed_count) == (120, 117, 3)
    assert row.total_count == row.sent_count + row.failed_count
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, 121) if i % 40)
    msg = email.message_from_bytes(smtp.received[0].data)
    assert msg["Message-ID"].startswith(f"<broadcast.{campaign_id}.once.customers.")
    assert msg["Subject"].startswith("Hello Ann")
    failed = [m for m in _messages(db, campaign_id) if m.status == "failed"]
    assert {m.error for m in failed} == {"no_channel"}
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSentEmail)) == 117
    received_c7 = next(m for m in smtp.received if m.rcpt_tos == ["c7@example.test"]).message
    sent_c7 = db.session.execute(
        sa.select(BroadcastSentEmail).where(BroadcastSentEmail.recipient == "c7@example.test")
    ).scalar_one()
    assert (sent_c7.message_id_header, sent_c7.subject, sent_c7.response) == (
        received_c7["Message-ID"],
        received_c7["Subject"],
        "250 2.0.0 queued",
    )
    assert sent_c7.sent_at is not None and sent_c7.organization_id == ORG
    run = db.session.execute(sa.select(BroadcastRun)).scalar_one()
    assert (run.status, run.sent_count, run.failed_count, run.total_count) == ("completed", 117, 3, 120)

    out, _ = subscriber.communicate(timeout=10)
    events = [json.loads(line) for line in out.decode().splitlines()]
    assert all(e["event"] == "broadcast-campaigns.updated" for e in events)
    statuses = [e["data"]["attributes"]["status"] for e in events]
    assert statuses[0] == "pending" and "in-progress" in statuses and statuses[-1] == "completed"
    progress = [e["data"]["attributes"]["sent_count"] + e["data"]["attributes"]["failed_count"] for e in events]
    # Every multiple of 5 is announced by an event at or just past it.
    for multiple in range(5, 121, 5):
        assert any(multiple <= p < multiple + 5 for p in progress), (multiple, progress)
    assert events[-1]["data"]["id"] == str(campaign_id)
    assert events[-1]["data"]["attributes"]["total_count"] == 120


def test_fast_progress_is_coalesced_into_one_event_per_interval(app, env, smtp):
    """At a high send rate several multiples of 5 go into one counter update and one event."""
    # One connection: the figures below are one claim's batches, one after the other.
    env = _with_config(env, BROADCASTS_PROGRESS_INTERVAL=30, BROADCASTS_MAIL_CONNECTIONS=1)
    seed_customers(120)
    campaign_id = make_campaign()
    subscriber = start_subscriber(env["REDIS_URL"], event_channel(env))
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env, count=1)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 120, 120), outputs

    out, _ = subscriber.communicate(timeout=10)
    events = [json.loads(line)["data"]["attributes"] for line in out.decode().splitlines()]
    progress = [e["sent_count"] + e["failed_count"] for e in events if e["status"] == "in-progress"]
    # Batches of 50: each batch's last counter update is its only one (30 s never passed),
    # so 3 updates instead of 24, and live counters still reach every batch boundary.
    assert [p for p in progress if p] == [50, 100, 120], progress
    assert (events[-1]["status"], events[-1]["sent_count"]) == ("completed", 120)


def test_synchronous_records_send_the_same_campaign(app, env, smtp):
    """BROADCASTS_SYNCHRONOUS_RECORDS=True: a disk flush per record, same outcome."""
    env = _with_config(env, BROADCASTS_SYNCHRONOUS_RECORDS=True)
    seed_customers(60, no_email_every=20)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env, count=2)
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count, row.total_count) == ("completed", 57, 3, 60), outputs
    assert sorted(smtp.recipients()) == sorted(f"c{i}@example.test" for i in range(1, 61) if i % 20)


def test_attachments_come_from_the_configured_file_storage(app, env, smtp, tmp_path, monkeypatch):
    """With a storage that is not the database, every e-mail still carries the template's file."""
    from tests.support.hostapp import db

    env["BCAST_TEST_FILES"] = str(tmp_path)
    monkeypatch.setenv("BCAST_TEST_FILES", str(tmp_path))
    set_config(env, app, BROADCASTS_FILE_STORAGE="tests.support.storage:DirectoryFileStorage")
    seed_customers(3)
    campaign_id = make_campaign()
    pdf = b"%PDF-1.7\n" + b"brochure " * 20
    attach_file(
        ORG, campaign_row(campaign_id).template_id, filename="brochure.pdf", content_type="application/pdf", data=pdf
    )
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastFileBlob)) == 0  # not in the database

    start_campaign(ORG, campaign_id)
    outputs = run_workers(env)
    assert campaign_row(campaign_id).status == "completed", outputs
    assert smtp.count() == 3
    for received in smtp.received:
        attached = [(part.get_filename(), part.get_payload(decode=True)) for part in received.message.walk()]
        assert ("brochure.pdf", pdf) in attached
