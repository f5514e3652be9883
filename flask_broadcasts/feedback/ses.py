"""Amazon SES notifications, delivered through an Amazon SNS topic (HTTPS subscription).

SNS signs every message (``SignatureVersion`` 1: SHA1withRSA, 2: SHA256withRSA) with the
key of the certificate at ``SigningCertURL``. :func:`verify` rebuilds the string SNS
signed and checks it; the certificate is fetched only after the shape of the request has
been checked, only over https and only from ``sns.<region>.amazonaws.com`` (through the
SSRF guard, by the ``fetch`` the caller passes), and kept in memory per URL. A
``SubscriptionConfirmation`` of an accepted topic is confirmed the same way: its
``SubscribeURL`` is fetched once its signature checks.

The ``Message`` of a ``Notification`` is SES's JSON: ``notificationType`` (or
``eventType``, for configuration-set event publishing) ``Bounce``, ``Complaint`` or
``Delivery``, with ``mail.commonHeaders.messageId`` (our ``Message-ID``) and
``mail.messageId`` (SES's id).
"""

from __future__ import annotations

import base64
import binascii
import json
import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import urlsplit

from .events import FeedbackEvent, FeedbackKind, InvalidSignature, NotConfigured

__all__ = ["MAX_BODY", "SnsMessage", "events_of", "parse", "verify"]

#: SNS messages are at most 256 KB; anything larger is not one (413).
MAX_BODY = 256 * 1024
PROVIDER = "ses"
_SNS_HOST = re.compile(r"^sns\.[a-z0-9-]+\.amazonaws\.com(\.cn)?$")
_SIGNED_FIELDS = {
    "Notification": ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    "SubscriptionConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    "UnsubscribeConfirmation": ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
_certificates: dict[str, Any] = {}

SnsMessage = Mapping[str, Any]
#: ``fetch(url) -> bytes``: a GET through the SSRF guard (replaced in tests).
Fetch = Callable[[str], bytes]


def parse(body: bytes) -> SnsMessage:
    """The SNS message in ``body``, shape-checked. :raises InvalidSignature: not one."""
    try:
        message = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise InvalidSignature("not an SNS message (JSON)") from None
    # A Type that is no string (a list, an object) is not hashable: refused, never a 500.
    if (
        not isinstance(message, dict)
        or not isinstance(message.get("Type"), str)
        or message["Type"] not in _SIGNED_FIELDS
    ):
        raise InvalidSignature("not an SNS message")
    for name in _SIGNED_FIELDS[message["Type"]]:
        if name in message and not isinstance(message[name], str):
            raise InvalidSignature(f"{name} is not a string")
    return message


def sns_url(url: Any, *, suffix: str = "") -> str:
    """``url`` when it is an https URL of SNS's own host; else :class:`InvalidSignature`."""
    if not isinstance(url, str):
        raise InvalidSignature("not an SNS URL")
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise InvalidSignature("not an SNS URL") from None
    host = parts.hostname or ""
    if parts.scheme != "https" or not _SNS_HOST.match(host) or port not in (None, 443) or parts.username:
        raise InvalidSignature("not an https URL of sns.<region>.amazonaws.com")
    if suffix and not parts.path.endswith(suffix):
        raise InvalidSignature(f"not a {suffix} file")
    return url


def string_to_sign(message: SnsMessage) -> bytes:
    """What SNS signed: ``name\\nvalue\\n`` for each of its fields present, in order."""
    lines = []
    for name in _SIGNED_FIELDS[message["Type"]]:
        if name in message:
            lines.append(f"{name}\n{message[name]}\n")
    return "".join(lines).encode("utf-8", "surrogateescape")


def verify(message: SnsMessage, *, topics: Sequence[str], fetch: Fetch) -> None:
    """Check the topic and the signature of ``message``. :raises InvalidSignature:."""
    from cryptography import x509
    from cryptography.exceptions import InvalidSignature as BadSignature
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.asymmetric import padding, rsa

    if not topics:
        raise NotConfigured("BROADCASTS_SES_TOPIC_ARNS is empty")
    if message.get("TopicArn") not in topics:
        raise InvalidSignature("a topic that is not accepted")
    version = message.get("SignatureVersion")
    algorithm: hashes.HashAlgorithm
    if version == "1":
        algorithm = hashes.SHA1()  # noqa: S303 (SNS's SignatureVersion 1 is SHA1withRSA)
    elif version == "2":
        algorithm = hashes.SHA256()
    else:
        raise InvalidSignature("unknown SignatureVersion")
    try:
        signature = base64.b64decode(str(message.get("Signature", "")), validate=True)
    except (binascii.Error, ValueError):
        raise InvalidSignature("signature is not base64") from None
    url = sns_url(message.get("SigningCertURL"), suffix=".pem")
    key = _certificates.get(url)
    if key is None:
        try:
            key = x509.load_pem_x509_certificate(fetch(url)).public_key()
        except Exception as exc:  # a refused URL, a network error, not a certificate
            raise InvalidSignature(f"signing certificate unavailable: {exc}") from None
        if not isinstance(key, rsa.RSAPublicKey):
            raise InvalidSignature("not an RSA certificate")
        if len(_certificates) > 32:  # a handful of regions and rotations, never unbounded
            _certificates.clear()
        _certificates[url] = key
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm)
    except BadSignature:
        raise InvalidSignature("bad signature") from None


def confirm(message: SnsMessage, *, fetch: Fetch) -> None:
    """Confirm a verified ``SubscriptionConfirmation`` (GET its ``SubscribeURL``)."""
    fetch(sns_url(message.get("SubscribeURL")))


def _dict(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def events_of(message: SnsMessage) -> Iterator[FeedbackEvent]:
    """The reports in a verified ``Notification`` (nothing for anything else)."""
    try:
        notification = json.loads(message.get("Message") or "")
    except (ValueError, TypeError):
        return
    notification = _dict(notification)
    kind = notification.get("notificationType") or notification.get("eventType")
    mail = _dict(notification.get("mail"))
    headers = _dict(mail.get("commonHeaders"))
    message_id_header = _text(headers.get("messageId"))
    if message_id_header is None:
        for header in _list(mail.get("headers")):
            header = _dict(header)
            if str(header.get("name", "")).lower() == "message-id":
                message_id_header = _text(header.get("value"))
    provider_message_id = _text(mail.get("messageId"))

    def event(kind: FeedbackKind, address: str | None, detail: str | None = None) -> FeedbackEvent:
        return FeedbackEvent(
            provider=PROVIDER,
            kind=kind,
            key=f"{sns_id}:{kind.value}:{address}",
            message_id_header=message_id_header,
            provider_message_id=provider_message_id,
            address=address,
            detail=detail,
        )

    sns_id = str(message.get("MessageId"))
    if kind == "Delivery":
        for address in _list(_dict(notification.get("delivery")).get("recipients")):
            if isinstance(address, str):
                yield event(FeedbackKind.DELIVERED, address)
    elif kind == "Bounce":
        bounce = _dict(notification.get("bounce"))
        hard = bounce.get("bounceType") == "Permanent"
        for recipient in _list(bounce.get("bouncedRecipients")):
            recipient = _dict(recipient)
            address = _text(recipient.get("emailAddress"))
            detail = _text(recipient.get("diagnosticCode")) or _text(recipient.get("status"))
            yield event(
                FeedbackKind.HARD_BOUNCE if hard else FeedbackKind.SOFT_BOUNCE,
                address,
                f"ses {bounce.get('bounceType')}/{bounce.get('bounceSubType')}: {detail or ''}".strip(),
            )
    elif kind == "Complaint":
        complaint = _dict(notification.get("complaint"))
        for recipient in _list(complaint.get("complainedRecipients")):
            address = _text(_dict(recipient).get("emailAddress"))
            yield event(FeedbackKind.COMPLAINT, address, _text(complaint.get("complaintFeedbackType")))
