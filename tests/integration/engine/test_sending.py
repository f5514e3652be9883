"""flask_broadcasts.engine.sending: one send batch of a run, over a real SMTP server on loopback.

What a host relies on: each stored message goes out once, with its own Message-ID, and the
run completes when none is left (a batch after that sends nothing again); a recipient the
server refuses fails alone while the others go out; a batch claims only its share and
leaves the rest pending for the other connections; and a paused campaign sends nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.engine.lifecycle import pause_campaign, start_campaign
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline
from tests.support.host import db


def _stored_run(app, recipients: int, **seed) -> int:
    seed_customers(recipients, **seed)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return campaign_id


def _messages(campaign_id: int) -> list[BroadcastMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(BroadcastMessage).where(BroadcastMessage.campaign_id == campaign_id).order_by("id")
        )
    )


def test_each_message_goes_out_once_and_the_run_completes(app, env, smtp) -> None:
    campaign_id = _stored_run(app, 4)

    result = send_batch(campaign_id, "once", "test-worker")
    again = send_batch(campaign_id, "once", "test-worker")

    assert (result.sent, result.failed, result.completed) == (4, 0, True)
    assert (again.claimed, again.sent) == (0, 0)
    assert sorted(smtp.recipients()) == [f"c{i}@example.test" for i in range(1, 5)]
    ids = {received.message["Message-ID"] for received in smtp.received}
    assert len(ids) == 4 and all(i.startswith(f"<broadcast.{campaign_id}.once.") for i in ids)
    assert [(m.status, m.mail_status) for m in _messages(campaign_id)] == [("completed", "sent")] * 4
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count) == ("completed", 4, 0)


def test_a_refused_recipient_fails_alone(app, env, smtp) -> None:
    campaign_id = _stored_run(app, 4, refuse_every=2)  # refuse2@, refuse4@: a 550 at RCPT

    result = send_batch(campaign_id, "once", "test-worker")

    assert (result.sent, result.failed, result.completed) == (2, 2, True)
    assert sorted(smtp.recipients()) == ["c1@example.test", "c3@example.test"]
    refused = [m for m in _messages(campaign_id) if m.email.startswith("refuse")]
    assert [(m.status, m.mail_status, m.error_code) for m in refused] == [("failed", "refused", "refused")] * 2
    assert all("550" in m.error for m in refused)  # the server's answer, for the operator


def test_a_batch_claims_its_share_and_leaves_the_rest_pending(app, env, smtp) -> None:
    campaign_id = _stored_run(app, 5)

    result = send_batch(campaign_id, "once", "test-worker", claim_size=2)

    assert (result.claimed, result.sent, result.completed) == (2, 2, False)
    assert len(smtp.recipients()) == 2
    rest = [m for m in _messages(campaign_id) if m.status == "pending"]
    assert len(rest) == 3 and all(m.claimed_by is None for m in rest)
    assert campaign_row(campaign_id).status == "in-progress"


def test_a_paused_campaign_sends_nothing(app, env, smtp) -> None:
    campaign_id = _stored_run(app, 3)
    pause_campaign(ORG, campaign_id)

    result = send_batch(campaign_id, "once", "test-worker")

    assert (result.claimed, result.sent, result.completed) == (0, 0, False)
    assert smtp.recipients() == []
    assert {m.status for m in _messages(campaign_id)} == {"pending"}
    assert campaign_row(campaign_id).status == "paused"
