"""flask_broadcasts.callbacks: Twilio's status and incoming-message webhooks.

Twilio relies on: the incoming-message webhook answering empty TwiML (no reply of ours), a
status callback naming the SMS by ``SmsSid`` alone (older accounts) being recorded, and a body
over ``BROADCASTS_MAX_CONTENT_LENGTH`` answering 413. A host relies on: its number hook never
given a ``To`` with control characters, and the SMS's id kept as the suppression's source
only when it looks like Twilio's. The small host with Twilio's settings (tests/support/sms_fixtures.py).
"""

from __future__ import annotations

from sqlalchemy import select

from flask_broadcasts import get_state
from flask_broadcasts.callbacks import EMPTY_TWIML, TWILIO_CALLBACK_PATH, TWILIO_INBOUND_PATH
from flask_broadcasts.models import BroadcastSuppression
from flask_broadcasts.statuses import MessageStatus
from tests.support import sms_fixtures
from tests.support.twilio import SENDER, message_row, seed_messages, signed_post, sms_sent_to

# The small host with Twilio's settings, a fresh one per test.
app, make_app = sms_fixtures.app, sms_fixtures.make_app

INBOUND = "/api" + TWILIO_INBOUND_PATH
STATUS = "/api" + TWILIO_CALLBACK_PATH
ANN, BOB = "+14155552671", "+14155552672"


def _stop(client, sid: str, *, sender: str = ANN, to: str = SENDER):
    return signed_post(client, INBOUND, {"MessageSid": sid, "From": sender, "To": to, "Body": "STOP"})


def _sources(app) -> list[tuple[str, str | None]]:
    with app.app_context():
        rows = get_state().session.execute(
            select(BroadcastSuppression.organization_id, BroadcastSuppression.source_id).order_by(
                BroadcastSuppression.id
            )
        )
        return [tuple(row) for row in rows]


def test_an_incoming_sms_is_answered_with_empty_twiml_and_its_sid_kept_only_if_twilios(app):
    sms_sent_to(app, "org-1", ANN)
    sms_sent_to(app, "org-2", BOB)
    client = app.test_client()
    answer = _stop(client, "SM0123456789abcdef0123456789abcdef")
    assert (answer.status_code, answer.content_type, answer.get_data(as_text=True)) == (
        200,
        "text/xml; charset=utf-8",
        EMPTY_TWIML,
    )
    # A sid with what no Twilio id has is not stored: the provider's name stands for it.
    assert _stop(client, "SM<b>1</b>", sender=BOB).get_data(as_text=True) == EMPTY_TWIML
    assert _sources(app) == [("org-1", "SM0123456789abcdef0123456789abcdef"), ("org-2", "twilio")]


def test_the_hosts_number_hook_never_gets_control_characters(app):
    sms_sent_to(app, "org-1", ANN)
    asked: list[str] = []

    def owner(number: str) -> str:
        asked.append(number)
        return "org-9"

    with app.app_context():
        get_state().extension.sms_number_organization(owner)
    client = app.test_client()
    # A "To" with a control character: no hook call, the keyword reaches who sent to Ann.
    assert _stop(client, "SM1", to=SENDER + "\x00").status_code == 200
    assert _stop(client, "SM2", to=f" {SENDER} ").status_code == 200
    assert asked == [SENDER]  # trimmed
    assert [organization for organization, _ in _sources(app)] == ["org-1", "org-9"]


def test_a_status_callback_by_smssid_alone_is_recorded_and_a_body_over_the_cap_is_413(make_app):
    app = make_app(BROADCASTS_MAX_CONTENT_LENGTH=300)
    seeded = seed_messages(app, {"provider_message_id": "SM1"})
    client = app.test_client()
    assert signed_post(client, STATUS, {"SmsSid": "SM1", "MessageStatus": "delivered"}).status_code == 204
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.DELIVERED
    big = {"SmsSid": "SM1", "MessageStatus": "undelivered", "Padding": "x" * 400}
    assert signed_post(client, STATUS, big).status_code == 413
    assert message_row(app, seeded.message_ids[0]).status == MessageStatus.DELIVERED
