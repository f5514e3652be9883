"""An SMS campaign end to end: a real RQ worker process sends through the Twilio provider to the stand-in."""

from __future__ import annotations

from collections import Counter

import sqlalchemy as sa
from twilio.request_validator import RequestValidator

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import BroadcastMessage
from tests.support.fixtures import ORG, campaign_row, make_campaign, set_config
from tests.support.processes import run_workers
from tests.support.twilio import ACCOUNT_SID, AUTH_TOKEN, INVALID_TO, SENDER

PUBLIC = "https://sms.example.com"


def test_sms_campaign_through_a_worker_process(app, env, twilio_standin):
    from tests.support.hostapp import Customer, db

    set_config(
        env,
        app,
        BROADCASTS_SMS_PROVIDER="twilio",
        BROADCASTS_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        BROADCASTS_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        BROADCASTS_TWILIO_FROM=SENDER,
        BROADCASTS_TWILIO_BASE_URL=twilio_standin.url,
        BROADCASTS_PUBLIC_URL=PUBLIC,
        BROADCASTS_BATCH_SIZE=10,
    )
    mobiles = [f"+1415555{2600 + i}" for i in range(60)] + ["0612345678", "+1234", INVALID_TO]
    db.session.execute(
        sa.insert(Customer),
        [
            {
                "organization_id": ORG,
                "first_name": f"Ann{i}",
                "last_name": "Lee",
                "mobile": m,
                "locale": "en",
                "status": "active",
            }
            for i, m in enumerate(mobiles)
        ],
    )
    db.session.commit()
    campaign_id = make_campaign(channels=("sms",))

    start_campaign(ORG, campaign_id)
    outputs = run_workers(env, count=2)

    row = campaign_row(campaign_id)
    assert row.status == "completed", outputs
    assert (row.total_count, row.sent_count, row.failed_count) == (63, 60, 3)
    received = Counter(r["form"]["To"] for r in twilio_standin.requests)
    assert set(received) == set(mobiles[:60]) | {INVALID_TO}
    assert max(received.values()) == 1  # exactly once, across two workers
    callback = f"{PUBLIC}/api/broadcast-callbacks/twilio"
    assert {r["form"]["StatusCallback"] for r in twilio_standin.requests} == {callback}
    assert {r["form"]["From"] for r in twilio_standin.requests} == {SENDER}

    db.session.rollback()
    messages = db.session.execute(sa.select(BroadcastMessage)).scalars().all()
    errors = sorted(m.error.split(":")[1].strip() for m in messages if m.status == "failed")
    assert errors == ["invalid_mobile", "invalid_mobile", "twilio 21211"]
    assert sorted(m.error_code for m in messages if m.status == "failed") == [
        "invalid_mobile",
        "invalid_mobile",
        "refused",
    ]
    # The two numbers no SMS can reach never got the channel (as the preview shows them); the rest did.
    assert sorted(len(m.channels) for m in messages) == [0, 0] + [1] * 61
    assert all(m.sms_encoding == "GSM-7" and m.sms_segments == 1 for m in messages if m.channels)

    # Twilio reports one delivered: the app's callback endpoint moves it.
    sent = next(m for m in messages if m.status == "completed")
    form = {"MessageSid": sent.provider_message_id, "MessageStatus": "delivered"}
    signature = RequestValidator(AUTH_TOKEN).compute_signature(callback, form)
    response = app.test_client().post(
        "/api/broadcast-callbacks/twilio", data=form, headers={"X-Twilio-Signature": signature}
    )
    assert response.status_code == 204
    db.session.rollback()
    assert db.session.get(BroadcastMessage, sent.id).status == "delivered"


def test_sms_requests_in_flight_are_bounded_by_sms_concurrency(app, env, twilio_standin, is_postgres):
    """A campaign without e-mail keeps BROADCASTS_SMS_CONCURRENCY requests in flight (1 on SQLite)."""
    from tests.support.hostapp import Customer, db

    twilio_standin.answer_after = 0.05  # a gateway across a network
    set_config(
        env,
        app,
        BROADCASTS_SMS_PROVIDER="twilio",
        BROADCASTS_TWILIO_ACCOUNT_SID=ACCOUNT_SID,
        BROADCASTS_TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        BROADCASTS_TWILIO_FROM=SENDER,
        BROADCASTS_TWILIO_BASE_URL=twilio_standin.url,
        BROADCASTS_BATCH_SIZE=5,
        BROADCASTS_SMS_CONCURRENCY=3,
        BROADCASTS_MAIL_CONNECTIONS=6,  # not this campaign's: it sends no e-mail
    )
    mobiles = [f"+1415555{2700 + i}" for i in range(40)]
    db.session.execute(
        sa.insert(Customer),
        [
            {
                "organization_id": ORG,
                "first_name": f"Bo{i}",
                "last_name": "Li",
                "mobile": m,
                "locale": "en",
                "status": "active",
            }
            for i, m in enumerate(mobiles)
        ],
    )
    db.session.commit()
    campaign_id = make_campaign(channels=("sms",))
    start_campaign(ORG, campaign_id)
    outputs = run_workers(env, count=1)

    row = campaign_row(campaign_id)
    assert (row.status, row.sent_count, row.total_count) == ("completed", 40, 40), outputs
    received = Counter(r["form"]["To"] for r in twilio_standin.requests)
    assert set(received) == set(mobiles) and max(received.values()) == 1
    assert twilio_standin.peak_in_flight == (3 if is_postgres else 1)
