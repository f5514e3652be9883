"""The sending engine's batch with the SMS channel: Twilio stand-in, invalid numbers, retries, callbacks."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from flask_broadcasts import get_state
from flask_broadcasts.channels.base import OutcomeUnknown, RetryLater
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.events import RecordingPublisher
from flask_broadcasts.models import BroadcastMessage, BroadcastRun
from flask_broadcasts.statuses import ChannelStatus, MessageStatus
from tests.support.twilio import (
    AUTH_TOKEN,
    INVALID_TO,
    RATE_LIMITED_TO,
    SERVER_ERROR_TO,
    campaign_row,
    message_row,
    running_campaign,
)

PUBLIC = "https://sms.example.com"
CALLBACK = f"{PUBLIC}/api/broadcast-callbacks/twilio"


@pytest.fixture
def sms_app(make_app, twilio_standin):
    app = make_app(
        BROADCASTS_SMS_PROVIDER="twilio",
        BROADCASTS_TWILIO_BASE_URL=twilio_standin.url,
        BROADCASTS_PUBLIC_URL=PUBLIC,
        BROADCASTS_BATCH_SIZE=50,
    )
    get_state(app).publisher = RecordingPublisher()
    return app


def run_batch(app, seeded):
    with app.app_context():
        return send_batch(seeded.campaign_id, "once", "worker-1")


def test_a_batch_sends_sms_through_twilio_and_fails_bad_numbers_alone(sms_app, twilio_standin):
    seeded = running_campaign(sms_app, "+14155552671", "0612345678", "+33 6 12 34 56 78", INVALID_TO)

    result = run_batch(sms_app, seeded)

    assert (result.sent, result.failed, result.completed) == (2, 2, True)
    assert [(r["form"]["To"], r["form"]["Body"], r["form"]["StatusCallback"]) for r in twilio_standin.requests] == [
        ("+14155552671", "Hi 0", CALLBACK),
        ("+33612345678", "Hi 2", CALLBACK),
        (INVALID_TO, "Hi 3", CALLBACK),
    ]
    ok, bad, ok2, refused = (message_row(sms_app, i) for i in seeded.message_ids)
    assert (ok.status, ok.sms_status) == (MessageStatus.COMPLETED, ChannelStatus.SENT)
    assert ok.provider_message_id.startswith("SM") and ok2.provider_message_id.startswith("SM")
    assert (bad.status, bad.sms_status) == (MessageStatus.FAILED, ChannelStatus.REFUSED)
    assert bad.error.startswith("sms: invalid_mobile:")
    assert refused.error.startswith("sms: twilio 21211")
    campaign = campaign_row(sms_app, seeded.campaign_id)
    assert (campaign.status, campaign.sent_count, campaign.failed_count) == ("completed", 2, 2)

    # Twilio's callbacks then settle the accepted ones; a late failure moves the counters.
    client = sms_app.test_client()
    for sid, status in ((ok.provider_message_id, "delivered"), (ok2.provider_message_id, "undelivered")):
        form = {"MessageSid": sid, "MessageStatus": status, "ErrorCode": "30003"}
        signature = RequestValidator(AUTH_TOKEN).compute_signature(CALLBACK, form)
        assert (
            client.post(
                "/api/broadcast-callbacks/twilio", data=form, headers={"X-Twilio-Signature": signature}
            ).status_code
            == 204
        )
    assert message_row(sms_app, seeded.message_ids[0]).status == MessageStatus.DELIVERED
    assert message_row(sms_app, seeded.message_ids[2]).error == "twilio 30003: undelivered"
    campaign = campaign_row(sms_app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.total_count) == (1, 3, 4)
    with sms_app.app_context():
        run = get_state().session.query(BroadcastRun).one()
        assert (run.sent_count, run.failed_count) == (1, 3)


def test_rate_limited_batch_is_retried_later_without_resending_the_accepted(sms_app, twilio_standin):
    seeded = running_campaign(sms_app, "+14155552671", RATE_LIMITED_TO, "+14155552672")

    with pytest.raises(RetryLater):
        run_batch(sms_app, seeded)
    first, limited, third = (message_row(sms_app, i) for i in seeded.message_ids)
    assert first.status == MessageStatus.COMPLETED
    assert (limited.status, limited.claimed_by, third.status) == (MessageStatus.PENDING, None, MessageStatus.PENDING)

    with sms_app.app_context():  # the gateway recovers (here: the number stops being rate-limited)
        session = get_state().session
        session.get(BroadcastMessage, limited.id).mobile = "+14155552673"
        session.commit()
    result = run_batch(sms_app, seeded)

    assert result.completed and result.sent == 2
    sent_to = [r["form"]["To"] for r in twilio_standin.requests]
    assert sent_to == ["+14155552671", RATE_LIMITED_TO, "+14155552673", "+14155552672"]


def test_outcome_unknown_is_failed_and_never_resent(sms_app, twilio_standin):
    seeded = running_campaign(sms_app, SERVER_ERROR_TO, "+14155552672")

    with pytest.raises(OutcomeUnknown):
        run_batch(sms_app, seeded)
    doubtful = message_row(sms_app, seeded.message_ids[0])
    assert (doubtful.status, doubtful.sms_status, doubtful.error) == (
        MessageStatus.FAILED,
        ChannelStatus.UNKNOWN,
        "outcome_unknown",
    )
    result = run_batch(sms_app, seeded)

    assert result.completed
    assert [r["form"]["To"] for r in twilio_standin.requests] == [SERVER_ERROR_TO, "+14155552672"]
    campaign = campaign_row(sms_app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (1, 1)


def test_twilio_21610_suppresses_the_number_and_ends_the_sms_channel_suppressed(sms_app, twilio_standin):
    from sqlalchemy import select

    from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
    from tests.support.twilio import OPTED_OUT_TO

    seeded = running_campaign(sms_app, "+14155552671", OPTED_OUT_TO, "+1 415 555 7610")

    result = run_batch(sms_app, seeded)

    assert (result.sent, result.failed, result.completed) == (1, 2, True)
    ok, opted_out, same_number = (message_row(sms_app, i) for i in seeded.message_ids)
    assert (ok.status, ok.sms_status) == (MessageStatus.COMPLETED, ChannelStatus.SENT)
    assert (opted_out.status, opted_out.sms_status, opted_out.error_code) == (
        MessageStatus.FAILED,
        ChannelStatus.SUPPRESSED,
        "suppressed",
    )
    assert opted_out.error.startswith("sms: twilio 21610")
    # The same number again in the batch (claimed with it, before the suppression): Twilio
    # refuses it again, and the suppression stays one row.
    assert same_number.sms_status == ChannelStatus.SUPPRESSED
    with sms_app.app_context():
        session = get_state().session
        rows = session.execute(
            select(BroadcastSuppression.organization_id, BroadcastSuppression.address, BroadcastSuppression.reason)
        ).all()
        assert [tuple(r) for r in rows] == [("org-1", OPTED_OUT_TO, "sms_stop")]
        records = session.execute(
            select(BroadcastConsentEvent.action, BroadcastConsentEvent.method, BroadcastConsentEvent.message_id)
        ).all()
        assert [tuple(r) for r in records] == [("withdrawn", "provider", opted_out.id)]
    campaign = campaign_row(sms_app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.suppressed_count) == (1, 2, 2)

    # The next run skips the number before Twilio is asked.
    asked = len(twilio_standin.requests)
    later = running_campaign(sms_app, OPTED_OUT_TO)
    assert run_batch(sms_app, later).completed
    assert len(twilio_standin.requests) == asked
    skipped = message_row(sms_app, later.message_ids[0])
    assert (skipped.status, skipped.sms_status, skipped.error_code) == (
        MessageStatus.FAILED,
        ChannelStatus.SUPPRESSED,
        "suppressed",
    )
