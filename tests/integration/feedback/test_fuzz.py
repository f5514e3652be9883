"""No input answers a 5xx, on any of the four routes: arbitrary bytes and headers unsigned, and
arbitrary JSON validly signed (so the parsers meet it too). One Hypothesis test per route."""

from __future__ import annotations

import json
import os

import hypothesis
from hypothesis import HealthCheck
from hypothesis import strategies as st

from tests.support.feedback import (
    TOPIC_ARN,
    feedback_rows,
    mailgun_body,
    postmark_auth,
    seed_mail,
    ses_bounce,
    sns_notification,
)

EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
KEYS = [
    "event",
    "email",
    "smtp-id",
    "sg_event_id",
    "type",
    "RecordType",
    "Type",
    "MessageID",
    "Email",
    "ID",
    "event-data",
    "severity",
    "recipient",
    "message",
    "headers",
    "message-id",
    "notificationType",
    "bounce",
    "bounceType",
    "bouncedRecipients",
    "emailAddress",
    "mail",
    "commonHeaders",
    "messageId",
    "delivery-status",
]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.text(max_size=30),
    st.sampled_from(["delivered", "bounce", "spamreport", "failed", "permanent", "Bounce", "HardBounce", "Permanent"]),
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.text(max_size=10)), inner, max_size=5),
    ),
    max_leaves=25,
)
BODIES = st.one_of(st.binary(max_size=400), JSON.map(lambda v: json.dumps(v).encode()))
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Authorization",
            "Content-Type",
            "X-Twilio-Email-Event-Webhook-Signature",
            "X-Twilio-Email-Event-Webhook-Timestamp",
            "x-amz-sns-message-type",
        ]
    ),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    max_size=4,
)


def _probe_unsigned(app, path: str) -> None:
    client = app.test_client()

    @hypothesis.given(body=BODIES, headers=HEADERS)
    @SETTINGS
    def probe(body: bytes, headers: dict[str, str]) -> None:
        response = client.post(path, data=body, headers=headers)
        assert response.status_code < 500, (response.status_code, body, headers)
        assert response.status_code != 204 or path.endswith("postmark")  # unsigned: only basic auth can pass

    probe()


def test_ses_never_answers_5xx(app, sns):
    seeded = seed_mail(app, "ann@example.test")
    _probe_unsigned(app, "/api/broadcast-callbacks/ses")
    client = app.test_client()

    @hypothesis.given(
        message=st.one_of(JSON.map(json.dumps), st.text(max_size=80)),
        kind=st.sampled_from(["Notification", "SubscriptionConfirmation", "UnsubscribeConfirmation"]),
        extra=st.dictionaries(st.sampled_from(["Subject", "Token", "SubscribeURL"]), st.text(max_size=40), max_size=2),
    )
    @SETTINGS
    def signed(message: str, kind: str, extra: dict[str, str]) -> None:
        envelope = {**sns_notification({}), "Type": kind, "Message": message, "TopicArn": TOPIC_ARN, **extra}
        if kind != "Notification":
            envelope.setdefault("Token", "t")
            envelope.setdefault("SubscribeURL", "https://sns.eu-west-1.amazonaws.com/?Action=ConfirmSubscription")
        response = client.post("/api/broadcast-callbacks/ses", data=sns.sign(envelope))
        assert response.status_code < 500, (response.status_code, envelope)

    signed()
    # A genuine one still works after all that.
    body = sns.sign(sns_notification(ses_bounce(seeded.headers[0], "ann@example.test")))
    assert client.post("/api/broadcast-callbacks/ses", data=body).status_code == 204
    assert feedback_rows(app) == 1


def test_sendgrid_never_answers_5xx(app, sendgrid_signer):
    seed_mail(app, "ann@example.test")
    _probe_unsigned(app, "/api/broadcast-callbacks/sendgrid")
    client = app.test_client()

    @hypothesis.given(body=BODIES)
    @SETTINGS
    def signed(body: bytes) -> None:
        response = client.post("/api/broadcast-callbacks/sendgrid", data=body, headers=sendgrid_signer.headers(body))
        assert response.status_code < 500, (response.status_code, body)

    signed()


def test_postmark_never_answers_5xx(app):
    seed_mail(app, "ann@example.test")
    _probe_unsigned(app, "/api/broadcast-callbacks/postmark")
    client = app.test_client()

    @hypothesis.given(body=BODIES)
    @SETTINGS
    def authenticated(body: bytes) -> None:
        response = client.post("/api/broadcast-callbacks/postmark", data=body, headers=postmark_auth())
        assert response.status_code < 500, (response.status_code, body)

    authenticated()


def test_mailgun_never_answers_5xx(app):
    seed_mail(app, "ann@example.test")
    _probe_unsigned(app, "/api/broadcast-callbacks/mailgun")
    client = app.test_client()

    @hypothesis.given(event_data=JSON)
    @SETTINGS
    def signed(event_data) -> None:
        response = client.post("/api/broadcast-callbacks/mailgun", data=mailgun_body(event_data))
        assert response.status_code < 500, (response.status_code, event_data)

    signed()


def test_a_list_where_a_type_name_goes_is_refused_not_a_500(app):
    """What the SES fuzz test once drew (a JSON body whose ``Type`` is a list: unhashable, so a
    lookup by it raised TypeError), on SES and on Postmark's ``Type`` alike."""
    seed_mail(app, "ann@example.test")
    client = app.test_client()
    for body in ({"Type": ["Notification"]}, {"Type": {"a": 1}}):
        assert client.post("/api/broadcast-callbacks/ses", data=json.dumps(body)).status_code == 401
    body = {"RecordType": "Bounce", "Type": ["HardBounce"], "Email": "ann@example.test", "MessageID": "x"}
    response = client.post("/api/broadcast-callbacks/postmark", data=json.dumps(body), headers=postmark_auth())
    assert response.status_code == 204
    assert feedback_rows(app) == 0
