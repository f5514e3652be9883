"""Helpers of the feedback tests: seeded mail messages of two organizations, and each provider's
signing as the provider does it (SNS certificates, SendGrid's ECDSA key, Mailgun's HMAC, Postmark's
basic auth) with keys the test makes, on payloads in the shapes of the providers' documentation."""

from __future__ import annotations

import base64
import datetime as dt
import functools
import hashlib
import hmac
import json
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.x509.oid import NameOID
from flask import Flask

from flask_broadcasts.models import (
    BroadcastAudience,
    BroadcastCampaign,
    BroadcastFeedbackEvent,
    BroadcastMessage,
    BroadcastRun,
    BroadcastSentEmail,
    BroadcastSuppression,
    BroadcastTemplate,
    utcnow,
)
from flask_broadcasts.statuses import CampaignStatus, ChannelStatus, MessageStatus

from .detached import campaign_row, message_row  # noqa: F401  (re-exported to the suites)

TOPIC_ARN = "arn:aws:sns:eu-west-1:123456789012:ses-feedback"
SUBSCRIBE_URL = (
    "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription&TopicArn=" + TOPIC_ARN + "&Token=2336412f37"
)
POSTMARK_USER, POSTMARK_PASSWORD = "postmark-hook", "s3cret-pass"
MAILGUN_KEY = "key-mailgun-signing-0123456789"
ORG_A, ORG_B = "org-a", "org-b"


# -- seeded messages ------------------------------------------------------------------------


@dataclass
class Seeded:
    campaign_id: int
    message_ids: list[int]
    #: Our Message-ID header of each message (with brackets).
    headers: list[str]
    emails: list[str]


def seed_mail(app: Flask, *emails: str, org: str = ORG_A, channels: tuple[str, ...] = ("mail",), **row: Any) -> Seeded:
    """A completed campaign run of ``org`` with one sent e-mail (and its sent-email row) per address."""
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        template = BroadcastTemplate(organization_id=org, name="t", subject="S", body="B", channels=list(channels))
        audience = BroadcastAudience(organization_id=org, name="a", audience_type="customers")
        session.add_all([template, audience])
        session.flush()
        campaign = BroadcastCampaign(
            organization_id=org,
            name="c",
            template_id=template.id,
            audience_id=audience.id,
            status=CampaignStatus.COMPLETED.value,
            run_key="once",
            total_count=len(emails),
            sent_count=len(emails),
            failed_count=0,
        )
        session.add(campaign)
        session.flush()
        session.add(
            BroadcastRun(
                organization_id=org,
                campaign_id=campaign.id,
                run_key="once",
                status=CampaignStatus.COMPLETED.value,
                total_count=len(emails),
                sent_count=len(emails),
                completed_at=utcnow(),
            )
        )
        messages, headers = [], []
        for index, email in enumerate(emails):
            values = {
                "organization_id": org,
                "campaign_id": campaign.id,
                "run_key": "once",
                "recipient_type": "customer",
                "recipient_id": str(index),
                "channels": list(channels),
                "email": email,
                "status": MessageStatus.COMPLETED.value,
                "mail_status": ChannelStatus.SENT.value,
                "sent_at": utcnow(),
                **row,
            }
            messages.append(BroadcastMessage(**values))
        session.add_all(messages)
        session.flush()
        for message in messages:
            header = f"<{uuid.uuid4().hex}@mail.example.test>"
            headers.append(header)
            session.add(
                BroadcastSentEmail(
                    organization_id=org,
                    message_id=message.id,
                    message_id_header=header,
                    sender="news@example.test",
                    recipient=message.email,
                    subject="S",
                    response="250 2.0.0 queued",
                )
            )
        session.commit()
        return Seeded(campaign.id, [m.id for m in messages], headers, list(emails))


def run_row(app: Flask, campaign_id: int) -> BroadcastRun:
    from flask_broadcasts import get_state

    with app.app_context():
        session = get_state().session
        run = session.query(BroadcastRun).filter_by(campaign_id=campaign_id).one()
        session.expunge(run)
        return run


def suppressions(app: Flask) -> list[tuple[str, str, str]]:
    """``(organization, address, reason)`` of every suppression."""
    from flask_broadcasts import get_state

    with app.app_context():
        rows = get_state().session.query(BroadcastSuppression).order_by(BroadcastSuppression.id).all()
        return [(r.organization_id, r.address, r.reason) for r in rows]


def feedback_rows(app: Flask) -> int:
    from flask_broadcasts import get_state

    with app.app_context():
        return get_state().session.query(BroadcastFeedbackEvent).count()


# -- Amazon SES through SNS -----------------------------------------------------------------


@functools.cache
def rsa_key(name: str = "sns") -> rsa.RSAPrivateKey:
    """An RSA key made once per test session and name (making one takes a while)."""
    return rsa.generate_private_key(65537, 2048)


@dataclass
class SnsSigner:
    """A signing key and its self-signed certificate, served by :meth:`fetch` at :attr:`cert_url`."""

    key: rsa.RSAPrivateKey = field(default_factory=lambda: rsa_key())
    #: One per signer, as SNS names each of its certificates (the callback caches them by URL).
    cert_url: str = field(
        default_factory=lambda: f"https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-{uuid.uuid4().hex}.pem"
    )
    fetched: list[str] = field(default_factory=list)
    certificate: bytes = b""

    def __post_init__(self) -> None:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "sns.amazonaws.com")])
        now = dt.datetime.now(dt.UTC)
        cert = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30))
            .sign(self.key, hashes.SHA256())
        )
        self.certificate = cert.public_bytes(serialization.Encoding.PEM)

    def fetch(self, url: str) -> bytes:
        """The stand-in of the SSRF-guarded GET: the certificate, or SNS's confirmation answer."""
        self.fetched.append(url)
        if url == self.cert_url:
            return self.certificate
        return b"<ConfirmSubscriptionResponse/>"

    def sign(self, message: dict[str, Any], *, version: str = "2", key: rsa.RSAPrivateKey | None = None) -> bytes:
        fields = {
            "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
        }.get(message["Type"], ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"))
        text = "".join(f"{name}\n{message[name]}\n" for name in fields if name in message)
        algorithm = hashes.SHA256() if version == "2" else hashes.SHA1()
        signature = (key or self.key).sign(text.encode(), padding.PKCS1v15(), algorithm)
        signed = {**message, "SignatureVersion": version, "Signature": base64.b64encode(signature).decode()}
        signed.setdefault("SigningCertURL", self.cert_url)
        return json.dumps(signed).encode()


def sns_notification(ses_message: dict[str, Any], *, topic: str = TOPIC_ARN, message_id: str | None = None) -> dict:
    return {
        "Type": "Notification",
        "MessageId": message_id or str(uuid.uuid4()),
        "TopicArn": topic,
        "Message": json.dumps(ses_message),
        "Timestamp": "2026-12-02T08:00:00.000Z",
        "UnsubscribeURL": "https://sns.eu-west-1.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=x",
    }


def sns_subscription_confirmation(*, topic: str = TOPIC_ARN, subscribe_url: str = SUBSCRIBE_URL) -> dict:
    return {
        "Type": "SubscriptionConfirmation",
        "MessageId": str(uuid.uuid4()),
        "Token": "2336412f37",
        "TopicArn": topic,
        "Message": f"You have chosen to subscribe to the topic {topic}.",
        "SubscribeURL": subscribe_url,
        "Timestamp": "2026-12-02T08:00:00.000Z",
    }


def _ses_mail(header: str, email: str) -> dict[str, Any]:
    return {
        "timestamp": "2026-12-02T07:59:58.000Z",
        "source": "news@example.test",
        "messageId": "0100018c-ses-" + uuid.uuid4().hex[:12],
        "destination": [email],
        "headersTruncated": False,
        "commonHeaders": {"from": ["news@example.test"], "to": [email], "messageId": header, "subject": "S"},
    }


def ses_bounce(header: str, email: str, *, permanent: bool = True) -> dict[str, Any]:
    return {
        "notificationType": "Bounce",
        "bounce": {
            "bounceType": "Permanent" if permanent else "Transient",
            "bounceSubType": "General" if permanent else "MailboxFull",
            "bouncedRecipients": [
                {
                    "emailAddress": email,
                    "action": "failed",
                    "status": "5.1.1" if permanent else "4.2.2",
                    "diagnosticCode": "smtp; 550 5.1.1 user unknown" if permanent else "smtp; 452 4.2.2 mailbox full",
                }
            ],
            "timestamp": "2026-12-02T08:00:00.000Z",
            "feedbackId": "0100018c-feedback",
        },
        "mail": _ses_mail(header, email),
    }


def ses_complaint(header: str, email: str) -> dict[str, Any]:
    return {
        "notificationType": "Complaint",
        "complaint": {
            "complainedRecipients": [{"emailAddress": email}],
            "timestamp": "2026-12-02T08:00:00.000Z",
            "feedbackId": "0100018c-complaint",
            "complaintFeedbackType": "abuse",
        },
        "mail": _ses_mail(header, email),
    }


def ses_delivery(header: str, email: str) -> dict[str, Any]:
    return {
        "notificationType": "Delivery",
        "delivery": {
            "timestamp": "2026-12-02T08:00:01.000Z",
            "recipients": [email],
            "smtpResponse": "250 2.6.0 Message received",
            "processingTimeMillis": 546,
        },
        "mail": _ses_mail(header, email),
    }


# -- SendGrid ---------------------------------------------------------------------------------


@dataclass
class SendGridSigner:
    key: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP256R1()))

    @property
    def public_key(self) -> str:
        """The public key as SendGrid's settings page shows it (base64 DER)."""
        der = self.key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
        return base64.b64encode(der).decode()

    def headers(self, body: bytes, *, timestamp: str | None = None) -> dict[str, str]:
        timestamp = timestamp or str(int(time.time()))
        signature = self.key.sign(timestamp.encode() + body, ec.ECDSA(hashes.SHA256()))
        return {
            "X-Twilio-Email-Event-Webhook-Signature": base64.b64encode(signature).decode(),
            "X-Twilio-Email-Event-Webhook-Timestamp": timestamp,
            "Content-Type": "application/json",
        }


def sendgrid_event(event: str, header: str, email: str, **extra: Any) -> dict[str, Any]:
    return {
        "email": email,
        "timestamp": 1764662400,
        "smtp-id": header,
        "event": event,
        "category": ["broadcast"],
        "sg_event_id": base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("="),
        "sg_message_id": "14c5d75ce93.dfd.64b469.filter0001.16648.5515E0B88.0",
        **extra,
    }


# -- Postmark ---------------------------------------------------------------------------------


def postmark_auth(user: str = POSTMARK_USER, password: str = POSTMARK_PASSWORD) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def postmark_bounce(header: str, email: str, *, kind: str = "HardBounce", record_id: int | None = None) -> dict:
    return {
        "RecordType": "Bounce",
        "MessageStream": "broadcast",
        "ID": record_id or uuid.uuid4().int % 10**15,
        "Type": kind,
        "TypeCode": 1 if kind == "HardBounce" else 4096,
        "Name": "Hard bounce" if kind == "HardBounce" else "Soft bounce",
        "Tag": "",
        "MessageID": header.strip("<>"),
        "Metadata": {},
        "ServerID": 23,
        "Description": "The server was unable to deliver your message (ex: unknown user, mailbox not found).",
        "Details": "smtp;550 5.1.1 The email account that you tried to reach does not exist.",
        "Email": email,
        "From": "news@example.test",
        "BouncedAt": "2026-12-02T08:00:00.0000000Z",
        "DumpAvailable": True,
        "Inactive": True,
        "CanActivate": True,
        "Subject": "S",
    }


def postmark_delivery(header: str, email: str) -> dict:
    return {
        "RecordType": "Delivery",
        "ServerID": 23,
        "MessageStream": "broadcast",
        "MessageID": header.strip("<>"),
        "Recipient": email,
        "Tag": "",
        "DeliveredAt": "2026-12-02T08:00:01Z",
        "Details": "Test delivery webhook details",
        "Metadata": {},
    }


def postmark_complaint(header: str, email: str) -> dict:
    return {**postmark_bounce(header, email, kind="SpamComplaint"), "RecordType": "SpamComplaint", "TypeCode": 512}


# -- Mailgun ----------------------------------------------------------------------------------


def mailgun_body(event_data: dict[str, Any], *, key: str = MAILGUN_KEY, timestamp: float | None = None) -> bytes:
    stamp = str(int(time.time() if timestamp is None else timestamp))
    token = uuid.uuid4().hex + uuid.uuid4().hex[:18]
    signature = hmac.new(key.encode(), (stamp + token).encode(), hashlib.sha256).hexdigest()
    return json.dumps(
        {"signature": {"timestamp": stamp, "token": token, "signature": signature}, "event-data": event_data}
    ).encode()


def mailgun_event(event: str, header: str, email: str, *, severity: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": uuid.uuid4().hex[:22],
        "timestamp": time.time(),
        "log-level": "info" if event == "delivered" else "error",
        "event": event,
        "recipient": email,
        "recipient-domain": email.rpartition("@")[2],
        "message": {"headers": {"message-id": header.strip("<>"), "from": "news@example.test", "to": email}},
        "envelope": {"sender": "news@example.test", "transport": "smtp", "targets": email},
    }
    if severity:
        data["severity"] = severity
        data["reason"] = "bounce" if severity == "permanent" else "generic"
        data["delivery-status"] = {
            "code": 550 if severity == "permanent" else 452,
            "message": "5.1.1 The email account that you tried to reach does not exist",
            "description": "",
        }
    return data
