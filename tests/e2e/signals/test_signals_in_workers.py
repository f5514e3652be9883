"""Signals are sent in the worker process where the thing happens, to receivers the host
connected there; a receiver that raises is logged and sending goes on; webhook deliveries
run on their own queue in the same worker."""

from __future__ import annotations

import json
import os

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.webhooks import service
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, set_config
from tests.support.processes import run_workers
from tests.support.webhook_receiver import WebhookReceiver, signature_valid
from tests.support.webhooks import LOOPBACK_WEBHOOKS


def test_a_run_in_a_worker_signals_there_and_delivers_its_webhooks(app, env, smtp, tmp_path):
    log = tmp_path / "signals.jsonl"
    set_config(env, app, **LOOPBACK_WEBHOOKS, TEST_SIGNAL_LOG=str(log))
    receiver = WebhookReceiver().start()
    try:
        seed_customers(12, refuse_every=4)
        campaign_id = make_campaign()
        secret = service.create_webhook(
            ORG, {"url": receiver.url, "events": ["campaign.completed", "message.sent"]}
        ).secret
        start_campaign(ORG, campaign_id)  # in this process: campaign.started is heard here, not logged
        outputs = run_workers(env)
        row = campaign_row(campaign_id)
        assert row.status == "completed", outputs
        assert (row.sent_count, row.failed_count) == (9, 3)
        heard = [json.loads(line) for line in log.read_text().splitlines()]
        deliveries = receiver.wait_for(2)
    finally:
        receiver.stop()
    assert {entry["pid"] for entry in heard} != {os.getpid()}
    assert [e["signal"] for e in heard if e["signal"].startswith("campaign.")] == ["campaign.completed"]
    sent = [e for e in heard if e["signal"] == "message.sent"]
    failed = [e for e in heard if e["signal"] == "message.failed"]
    assert (len(sent), len(failed)) == (9, 3)  # the raising receiver broke nothing
    assert {e["organization_id"] for e in heard} == {ORG} and {e["campaign_id"] for e in heard} == {campaign_id}
    assert {e["error_code"] for e in failed} == {"refused"} and {e["app"] for e in heard} == {"hostapp"}
    assert "a receiver of the message.sent signal raised" in "".join(outputs)
    bodies = [json.loads(d.body) for d in deliveries]
    assert all(signature_valid(secret, d.headers, d.body) for d in deliveries)
    assert sum(len(b["data"]["messages"]) for b in bodies if b["type"] == "message.sent") == 9
    # Two workers deliver: arrival order is not promised (docs/webhooks.rst).
    assert [b["type"] for b in bodies].count("campaign.completed") == 1
