"""Tests of flask_broadcasts.feedback.ses.

The ``ses`` callback: SNS signatures, the subscription confirmation, SES's three notifications."""

from __future__ import annotations

import json

import pytest

from flask_broadcasts.statuses import ChannelStatus, ErrorCode, MessageStatus
from tests.support.feedback import (
    ORG_A,
    SUBSCRIBE_URL,
    campaign_row,
    feedback_rows,
    message_row,
    rsa_key,
    seed_mail,
    ses_bounce,
    ses_complaint,
    ses_delivery,
    sns_notification,
    sns_subscription_confirmation,
    suppressions,
)

PATH = "/api/broadcast-callbacks/ses"


def post(app, body: bytes):
    return app.test_client().post(PATH, data=body, headers={"Content-Type": "text/plain; charset=UTF-8"})


def test_a_permanent_bounce_fails_the_message_and_suppresses_the_address(app, sns):
    seeded = seed_mail(app, "ann@example.test", "bob@example.test")
    body = sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test")))

    response = post(app, body)

    assert response.status_code == 204 and response.data == b""
    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error_code) == (
        MessageStatus.FAILED,
        ChannelStatus.BOUNCED,
        ErrorCode.BOUNCED,
    )
    assert "550 5.1.1 user unknown" in message.error
    assert suppressions(app) == [(ORG_A, "ann@example.test", "bounced")]
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.total_count, campaign.bounced_count) == (1, 1, 2, 1)
    assert sns.fetched == [sns.cert_url]


def test_delivery_and_complaint_notifications(app, sns):
    seeded = seed_mail(app, "ann@example.test")
    header = seeded.headers[0]
    assert post(app, sns.sign(sns_notification(ses_delivery(header, "ann@example.test")))).status_code == 204
    assert (
        post(app, sns.sign(sns_notification(ses_complaint(header, "ann@example.test")), version="1")).status_code == 204
    )

    message = message_row(app, seeded.message_ids[0])
    assert (message.status, message.mail_status, message.error_code) == (
        MessageStatus.DELIVERED,
        ChannelStatus.DELIVERED,
        ErrorCode.COMPLAINED,
    )
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.delivered_count, campaign.complained_count, campaign.sent_count) == (1, 1, 1)
    assert suppressions(app) == [(ORG_A, "ann@example.test", "complained")]
    assert sns.fetched == [sns.cert_url]  # the certificate is fetched once


def test_a_repeated_notification_changes_nothing_more(app, sns):
    seeded = seed_mail(app, "ann@example.test")
    body = sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test"), message_id="sns-1"))
    for _ in range(3):
        assert post(app, body).status_code == 204
    campaign = campaign_row(app, seeded.campaign_id)
    assert (campaign.sent_count, campaign.failed_count, campaign.bounced_count) == (0, 1, 1)
    assert feedback_rows(app) == 1


@pytest.mark.parametrize(
    "tamper",
    [
        lambda m: {**m, "Message": m["Message"].replace("Permanent", "Transient")},
        lambda m: {**m, "Signature": "bm90IGEgc2lnbmF0dXJl"},
        lambda m: {**m, "SignatureVersion": "3"},
        lambda m: {k: v for k, v in m.items() if k != "Signature"},
        lambda m: {**m, "TopicArn": "arn:aws:sns:eu-west-1:999999999999:other"},
    ],
    ids=["altered-message", "bad-signature", "unknown-version", "unsigned", "other-topic"],
)
def test_a_bad_signature_or_topic_is_401_and_changes_nothing(app, sns, tamper):
    seeded = seed_mail(app, "ann@example.test")
    signed = json.loads(sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test"))))

    assert post(app, json.dumps(tamper(signed)).encode()).status_code == 401
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.COMPLETED
    assert suppressions(app) == [] and feedback_rows(app) == 0


def test_a_signature_by_another_key_is_401(app, sns):
    seeded = seed_mail(app, "ann@example.test")
    other = rsa_key("someone-else")
    body = sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test")), key=other)
    assert post(app, body).status_code == 401
    assert suppressions(app) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://sns.eu-west-1.amazonaws.com/cert.pem",
        "https://sns.eu-west-1.amazonaws.com.evil.test/cert.pem",
        "https://evil.test/sns.eu-west-1.amazonaws.com/cert.pem",
        "https://127.0.0.1/cert.pem",
        "https://sns.eu-west-1.amazonaws.com/cert.txt",
    ],
)
def test_the_certificate_is_fetched_only_from_sns_over_https(app, sns, url):
    seeded = seed_mail(app, "ann@example.test")
    signed = json.loads(sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test"))))
    signed["SigningCertURL"] = url

    assert post(app, json.dumps(signed).encode()).status_code == 401
    assert sns.fetched == []


def test_no_topic_configured_refuses_everything(make_app, sns):
    app = make_app(BROADCASTS_SES_TOPIC_ARNS=[])
    seeded = seed_mail(app, "ann@example.test")
    assert post(app, sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test")))).status_code == 401
    assert sns.fetched == [] and suppressions(app) == []


def test_the_subscription_is_confirmed_after_its_signature_checks(app, sns):
    assert post(app, sns.sign(sns_subscription_confirmation())).status_code == 204
    assert sns.fetched == [sns.cert_url, SUBSCRIBE_URL]


def test_a_forged_subscription_confirmation_fetches_nothing(app, sns):
    forged = json.loads(sns.sign(sns_subscription_confirmation()))
    forged["SubscribeURL"] = SUBSCRIBE_URL.replace("Token=", "Token=x")
    assert post(app, json.dumps(forged).encode()).status_code == 401
    assert SUBSCRIBE_URL not in sns.fetched


def test_a_subscription_url_off_sns_is_refused(app, sns):
    body = sns.sign(sns_subscription_confirmation(subscribe_url="https://169.254.169.254/latest/meta-data/"))
    assert post(app, body).status_code == 400
    assert sns.fetched == [sns.cert_url]


def test_the_default_fetch_goes_through_the_ssrf_guard(make_app, sns):
    from flask_broadcasts.feedback_callbacks import sns_fetch
    from flask_broadcasts.outbound.ssrf import RefusedURL

    app = make_app()
    with app.app_context(), pytest.raises(RefusedURL):
        sns_fetch("https://127.0.0.1/cert.pem")


def test_a_body_over_256_kb_is_413(app):
    assert post(app, b"{" + b" " * (256 * 1024) + b"}").status_code == 413


def test_an_unknown_message_is_acknowledged_and_ignored(app, sns):
    seed_mail(app, "ann@example.test")
    body = sns.sign(sns_notification(ses_bounce("<nobody@mail.example.test>", "ann@example.test")))
    assert post(app, body).status_code == 204
    assert suppressions(app) == [] and feedback_rows(app) == 0


def test_a_type_that_is_no_string_is_refused_not_a_500(app):
    # Hypothesis found it: ``{"Type": [...]}`` met a set lookup and raised TypeError.
    for kind in (["Notification"], {"a": 1}, 3):
        answer = app.test_client().post("/api/broadcast-callbacks/ses", data=json.dumps({"Type": kind}))
        assert answer.status_code == 401, kind
