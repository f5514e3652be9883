"""Twilio status callbacks and record_delivery_status: signatures, idempotence, counters."""

from __future__ import annotations

import pytest
from twilio.request_validator import RequestValidator

from flask_broadcasts.engine.delivery_status import record_delivery_status
from flask_broadcasts.models import BroadcastSentEmail
from flask_broadcasts.statuses import ChannelStatus, MessageStatus
from tests.support.twilio import AUTH_TOKEN, campaign_row, message_row, seed_messages

PATH = "/api/broadcast-callbacks/twilio"


def post_callback(client, sid, status, *, error_code=None, base="http://localhost", token=AUTH_TOKEN, signature=None):
    form = {"MessageSid": sid, "SmsSid": sid, "MessageStatus": status, "AccountSid": "AC1", "To": "+14155552671"}
    if error_code:
        form["ErrorCode"] = str(error_code)
    headers = {}
    if signature is None:
        signature = RequestValidator(token).compute_signature(base + PATH, form)
    if signature:
        headers["X-Twilio-Signature"] = signature
    return client.post(PATH, data=form, headers=headers)


@pytest.fixture
def seeded(app):
    return seed_messages(app, {"provider_message_id": "SM1"}, {"provider_message_id": "SM2"})


def test_delivered_moves_the_message_and_keeps_counters(app, seeded):
    response = post_callback(app.test_client(), "SM1", "delivered")

    assert response.status_code == 204
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.sms_status) == (MessageStatus.DELIVERED, ChannelStatus.DELIVERED)
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (2, 0)


def test_undelivered_fails_with_twilio_error_code_and_moves_counters_once(app, seeded):
    client = app.test_client()
    for _ in range(3):  # Twilio may repeat a callback
        assert post_callback(client, "SM2", "undelivered", error_code=30003).status_code == 204

    message = message_row(app, seeded.message_ids[1])
    assert message.status == MessageStatus.FAILED
    assert message.sms_status == ChannelStatus.UNDELIVERED
    assert message.error == "twilio 30003: undelivered"
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.total_count) == (1, 1, 2)


@pytest.mark.parametrize("signature", ["", "bm90IGEgc2lnbmF0dXJl"])
def test_missing_or_wrong_signature_is_401_and_changes_nothing(app, seeded, signature):
    response = post_callback(app.test_client(), "SM1", "delivered", signature=signature)

    assert response.status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED


def test_signature_of_another_token_is_401(app, seeded):
    response = post_callback(app.test_client(), "SM1", "delivered", token="someone-else")
    assert response.status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED


def test_no_auth_token_configured_refuses_every_callback(make_app):
    app = make_app(BROADCASTS_TWILIO_AUTH_TOKEN=None)
    seeded = seed_messages(app, {"provider_message_id": "SM1"})
    assert post_callback(app.test_client(), "SM1", "delivered").status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED


def test_signature_is_checked_against_the_public_url(make_app):
    app = make_app(BROADCASTS_PUBLIC_URL="https://sms.example.com")
    seeded = seed_messages(app, {"provider_message_id": "SM1"})
    client = app.test_client()

    assert post_callback(client, "SM1", "delivered", base="http://localhost").status_code == 401
    assert post_callback(client, "SM1", "delivered", base="https://sms.example.com").status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.DELIVERED


@pytest.mark.parametrize("step", ["queued", "sending", "sent", "accepted"])
def test_intermediate_statuses_are_acknowledged_and_ignored(app, seeded, step):
    assert post_callback(app.test_client(), "SM1", step).status_code == 204
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.sms_status) == (MessageStatus.COMPLETED, ChannelStatus.SENT)


def test_out_of_order_reports_never_move_a_message_backwards(app, seeded):
    client = app.test_client()
    post_callback(client, "SM1", "delivered")
    post_callback(client, "SM1", "sent")  # late
    post_callback(client, "SM1", "failed", error_code=30008)  # contradicts a final report

    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.sms_status, message.error) == (
        MessageStatus.DELIVERED,
        ChannelStatus.DELIVERED,
        None,
    )
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (2, 0)


def test_failed_stays_failed(app, seeded):
    client = app.test_client()
    post_callback(client, "SM1", "failed", error_code=30007)
    post_callback(client, "SM1", "delivered")
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.FAILED


def test_unknown_sid_is_acknowledged(app, seeded):
    assert post_callback(app.test_client(), "SMunknown", "delivered").status_code == 204


def test_record_delivery_status_returns_whether_something_moved(app, seeded):
    with app.app_context():
        assert record_delivery_status("SM1", "delivered") is True
        assert record_delivery_status("SM1", "delivered") is False
        assert record_delivery_status("SM1", MessageStatus.FAILED, error="late") is False
        assert record_delivery_status("nope", "delivered") is False
        with pytest.raises(ValueError):
            record_delivery_status("SM2", "completed")
        with pytest.raises(ValueError):
            record_delivery_status("SM2", "delivered", channel="pigeon")


def test_a_pending_message_is_never_moved_by_a_report(app):
    seeded = seed_messages(app, {"provider_message_id": "SM9", "status": "pending", "sms_status": None})
    with app.app_context():
        assert record_delivery_status("SM9", "failed", error="x") is False
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.PENDING


def test_email_bounce_by_message_id_header(app):
    seeded = seed_messages(
        app, {"channels": ["mail"], "email": "ada@example.com", "sms_status": None, "mail_status": "sent"}
    )
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        session.add(
            BroadcastSentEmail(
                organization_id="org-1",
                message_id=seeded.message_ids[0],
                message_id_header="<c1.customer.0@example.com>",
                sender="news@example.com",
                recipient="ada@example.com",
            )
        )
        session.commit()
        assert record_delivery_status("c1.customer.0@example.com", "failed", error="550 no such user", channel="mail")

    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error) == ("failed", "undelivered", "550 no such user")
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (0, 1)


def test_a_message_that_reached_the_recipient_by_mail_stays_completed_when_sms_fails(app):
    seeded = seed_messages(app, {"channels": ["mail", "sms"], "mail_status": "sent", "provider_message_id": "SM5"})
    with app.app_context():
        assert record_delivery_status("SM5", "failed", error="twilio 30003: undelivered") is True

    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.sms_status) == (MessageStatus.COMPLETED, ChannelStatus.UNDELIVERED)
    assert campaign_row(app, seeded.campaign_id).failed_count == 0


def test_a_late_failure_from_an_older_run_leaves_the_current_counters_alone(app):
    seeded = seed_messages(app, {"provider_message_id": "SM7"}, run_key="2026-11-01T09:00:00Z")
    from flask_broadcasts import get_state
    from flask_broadcasts.models import BroadcastCampaign

    with app.app_context():
        session = get_state().session
        campaign = session.get(BroadcastCampaign, seeded.campaign_id)
        campaign.run_key, campaign.sent_count, campaign.failed_count = "2026-11-08T09:00:00Z", 5, 0
        session.commit()
        assert record_delivery_status("SM7", "failed", error="x") is True

    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count) == (5, 0)
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.FAILED


def test_the_channels_page_csrf_exemption_lets_twilio_in(app, seeded):
    # docs/channels.rst: an app using Flask-WTF's CSRFProtect exempts the callback with the
    # line the page shows; without it, every status report would be refused as a forgery.
    import re
    from pathlib import Path

    from flask_wtf.csrf import CSRFProtect

    page = (Path(__file__).resolve().parents[3] / "docs" / "channels.rst").read_text()
    exempted = re.search(r'``csrf\.exempt\("([\w.]+)"\)``', page).group(1)
    app.config.update(SECRET_KEY="csrf", WTF_CSRF_ENABLED=True)
    csrf = CSRFProtect(app)

    refused = post_callback(app.test_client(), "SM1", "delivered")
    csrf.exempt(exempted)
    accepted = post_callback(app.test_client(), "SM1", "delivered")

    assert refused.status_code == 400 and b"CSRF" in refused.data
    assert accepted.status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.DELIVERED
