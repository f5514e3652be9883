"""The SMTP client and the sender against a real server: a temporary answer about one recipient
defers that message alone; one about the server (421) holds the batch and costs no try."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.channels.smtp import MailSettings, RecipientDeferred, SmtpTransport, TemporaryFailure
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.pacing import Throttled
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers
from tests.support.smtp import FOREVER, SmtpServer


@pytest.fixture(params=[True, False], ids=["pipelining", "step-by-step"])
def server(request):
    server = SmtpServer(pipelining=request.param).start()
    yield server
    server.stop()


def _mail(rcpt: str) -> bytes:
    return f"Subject: hi\r\nTo: {rcpt}\r\n\r\nbody {rcpt}\r\n".encode()


def test_a_greylisted_recipient_is_deferred_and_the_connection_goes_on(server):
    server.greylist["grey@example.org"] = FOREVER
    recipients = ["ann@example.org", "grey@example.org", "bob@example.org"]
    outcomes = {}
    with SmtpTransport(MailSettings(server="127.0.0.1", port=server.port), timeout=5) as transport:
        for index, rcpt in enumerate(recipients):
            following = recipients[index + 1] if index + 1 < len(recipients) else None
            try:
                outcomes[rcpt] = transport.send(
                    "news@example.org", rcpt, _mail(rcpt), then=("news@example.org", following) if following else None
                )
            except RecipientDeferred as exc:
                outcomes[rcpt] = ("deferred", exc.code, exc.detail)
    assert outcomes["grey@example.org"] == ("deferred", 451, "451 4.7.1 greylisted, try again later")
    assert server.recipients() == ["ann@example.org", "bob@example.org"]


def test_a_421_to_rcpt_is_the_servers_problem(server):
    with SmtpTransport(MailSettings(server="127.0.0.1", port=server.port), timeout=5) as transport:
        with pytest.raises(TemporaryFailure) as failure:
            transport.send("news@example.org", "busy@example.org", _mail("busy@example.org"))
        assert failure.value.code == 421
        # The server closed the connection: the next message reconnects.
        assert transport.send("news@example.org", "ann@example.org", _mail("ann@example.org")).startswith("250")
    assert server.recipients() == ["ann@example.org"]


def _tries(db, campaign_id):
    db.session.rollback()
    rows = db.session.execute(
        sa.select(BroadcastMessage.email, BroadcastMessage.status, BroadcastMessage.tries).where(
            BroadcastMessage.campaign_id == campaign_id
        )
    )
    return {email: (status, tries) for email, status, tries in rows}


def test_a_provider_failure_costs_no_message_a_try_and_a_deferral_costs_one(app, env, smtp):
    from tests.support.hostapp import Customer, db

    seed_customers(4)
    db.session.execute(sa.update(Customer).where(Customer.id == 3).values(email="busy3@example.test"))
    db.session.commit()
    smtp.greylist["c2@example.test"] = FOREVER
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    # The 421 pauses the mail channel for every worker (engine.pacing): the batch hands back.
    with pytest.raises(Throttled) as throttled:
        send_batch(campaign_id, "once", "test-worker")
    assert isinstance(throttled.value.__cause__, TemporaryFailure)
    # c1 went out; c2 was deferred (a try); the 421 at c3 released c3 and c4 untried.
    assert _tries(db, campaign_id) == {
        "c1@example.test": ("completed", 1),
        "c2@example.test": ("pending", 1),
        "busy3@example.test": ("pending", 0),
        "c4@example.test": ("pending", 0),
    }
    deferred = db.session.execute(sa.select(BroadcastMessage).where(BroadcastMessage.email == "c2@example.test"))
    message = deferred.scalar_one()
    assert message.retry_at is not None and message.claimed_by is None
    assert "451 4.7.1 greylisted" in message.error
    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.failed_count) == ("in-progress", 1, 0)
