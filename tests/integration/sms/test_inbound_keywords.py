"""Twilio's incoming-message webhook: STOP, START and HELP, near-misses, signatures, and which
organizations a keyword reaches (the host's number hook, or every one that sent to the number)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from flask_broadcasts import get_state
from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from flask_broadcasts.services.sms_replies import receive_sms
from flask_broadcasts.services.suppressions import suppress
from tests.support.twilio import SENDER, signed_post, sms_sent_to

PATH = "/api/broadcast-callbacks/twilio/inbound"
ANN = "+14155552671"


def inbound(client, body, *, sender=ANN, to=SENDER, **signing):
    form = {"MessageSid": "SMin0001", "AccountSid": "AC1", "From": sender, "To": to, "Body": body}
    return signed_post(client, PATH, form, **signing)


def suppressions(app):
    with app.app_context():
        rows = get_state().session.execute(
            select(
                BroadcastSuppression.organization_id,
                BroadcastSuppression.address,
                BroadcastSuppression.reason,
                BroadcastSuppression.source_kind,
                BroadcastSuppression.source_id,
            ).order_by(BroadcastSuppression.organization_id)
        )
        return [tuple(row) for row in rows]


def consent_records(app):
    with app.app_context():
        rows = get_state().session.execute(
            select(
                BroadcastConsentEvent.organization_id,
                BroadcastConsentEvent.action,
                BroadcastConsentEvent.method,
                BroadcastConsentEvent.reason,
                BroadcastConsentEvent.reference,
            ).order_by(BroadcastConsentEvent.id)
        )
        return [tuple(row) for row in rows]


@pytest.fixture
def ann(app):
    """Ann got an SMS from org-1 (her number stored with the host's spacing)."""
    sms_sent_to(app, "org-1", "+1 (415) 555-2671")
    return app


OPT_OUTS = ["STOP", "stop", "Stop", " STOP ", "\tstop\n", "STOPALL", "unsubscribe", "Cancel", "END", "quit", "REVOKE"]
OPT_OUTS += ["optout", "OPT OUT", "opt  out", " Opt Out "]
NEAR_MISSES = ["stop it please", "STOP.", "please stop", "S T O P", "stopp", "opt-out", "STOP STOP", "ſtop"]
NEAR_MISSES += ["HELP ME", "yes!", ""]


def test_each_opt_out_keyword_suppresses_the_number(app):
    # One app for every variant (an app per case costs more than the case): a number each.
    numbers = [f"+1415555{3100 + index}" for index in range(len(OPT_OUTS))]
    for number in numbers:
        sms_sent_to(app, "org-1", number)
    client = app.test_client()
    for number, body in zip(numbers, OPT_OUTS, strict=True):
        answer = inbound(client, body, sender=number)
        assert answer.status_code == 200, body
        assert answer.mimetype == "text/xml"
        assert answer.get_data(as_text=True).endswith("<Response/>")

    assert suppressions(app) == [("org-1", number, "sms_stop", "provider", "SMin0001") for number in numbers]
    assert consent_records(app) == [
        ("org-1", "withdrawn", "provider", "sms_stop", f"twilio:{' '.join(body.split()).upper()}") for body in OPT_OUTS
    ]


def test_near_misses_are_not_keywords_and_change_nothing(ann):
    client = ann.test_client()
    for body in NEAR_MISSES:
        answer = inbound(client, body)
        assert answer.status_code == 200 and answer.get_data(as_text=True).endswith("<Response/>"), body

    assert suppressions(ann) == []
    assert consent_records(ann) == []


@pytest.mark.parametrize("body", ["START", "yes", " Unstop "])
def test_start_lifts_only_an_sms_stop_suppression(ann, body):
    client = ann.test_client()
    inbound(client, "STOP")
    assert [row[2] for row in suppressions(ann)] == ["sms_stop"]

    assert inbound(client, body).status_code == 200

    assert suppressions(ann) == []
    assert [row[1] for row in consent_records(ann)] == ["withdrawn", "given"]


def test_start_keeps_a_suppression_a_person_added(ann):
    with ann.app_context():
        suppress("org-1", "sms", ANN, "manual", {"kind": "user", "id": None})

    inbound(ann.test_client(), "START")

    assert [row[2] for row in suppressions(ann)] == ["manual"]
    # The recipient's words are recorded all the same.
    assert [row[1] for row in consent_records(ann)] == ["withdrawn", "given"]


def test_stop_on_a_suppressed_number_keeps_the_row_and_records_the_withdrawal(ann):
    with ann.app_context():
        suppress("org-1", "sms", ANN, "manual", {"kind": "user", "id": None})

    inbound(ann.test_client(), "STOP")

    assert [row[2] for row in suppressions(ann)] == ["manual"]
    assert consent_records(ann)[-1] == ("org-1", "withdrawn", "provider", "sms_stop", "twilio:STOP")


def test_help_is_recorded_only(ann):
    assert inbound(ann.test_client(), " help ").status_code == 200

    assert suppressions(ann) == []
    assert consent_records(ann) == [("org-1", "help", "provider", None, "twilio:HELP")]


def test_without_the_hook_a_stop_reaches_every_organization_that_sent_to_the_number_and_no_other(app):
    sms_sent_to(app, "org-1", "+14155552671")
    sms_sent_to(app, "org-2", "+1 415-555-2671")
    sms_sent_to(app, "org-3", "+1.415.555.2671")
    sms_sent_to(app, "org-4", "+14155550100")  # another number
    with app.app_context():  # org-5 never sent to Ann but holds an e-mail suppression: not reached
        suppress("org-5", "mail", "ann@example.test", "manual", {"kind": "user", "id": None})

    inbound(app.test_client(), "STOP")

    assert [row[:3] for row in suppressions(app) if row[0] != "org-5"] == [
        ("org-1", ANN, "sms_stop"),
        ("org-2", ANN, "sms_stop"),
        ("org-3", ANN, "sms_stop"),
    ]
    # START reaches the same organizations, and lifts each.
    inbound(app.test_client(), "START")
    assert [row[0] for row in suppressions(app)] == ["org-5"]


def test_the_hook_maps_the_receiving_number_to_one_organization(app):
    numbers = {"+15005550006": "org-2"}
    get_state(app).extension.sms_number_organization(numbers.get)
    sms_sent_to(app, "org-1", ANN)
    sms_sent_to(app, "org-2", ANN)

    inbound(app.test_client(), "STOP", to="+15005550006")
    assert [row[0] for row in suppressions(app)] == ["org-2"]

    # A number the hook does not know: the safe reading, every organization that sent to Ann.
    inbound(app.test_client(), "STOP", to="+15005550009")
    assert [row[0] for row in suppressions(app)] == ["org-1", "org-2"]


def test_a_stop_from_a_number_nobody_sent_to_changes_nothing(app):
    sms_sent_to(app, "org-1", "+14155550100")
    assert inbound(app.test_client(), "STOP").status_code == 200
    assert suppressions(app) == [] and consent_records(app) == []


def test_a_sender_that_is_no_mobile_number_changes_nothing(ann):
    assert inbound(ann.test_client(), "STOP", sender="Twilio").status_code == 200
    assert suppressions(ann) == []


@pytest.mark.parametrize("signing", [{"token": "someone-else"}, {"base": "https://elsewhere.example"}])
def test_a_forged_or_misaddressed_signature_is_401_and_changes_nothing(ann, signing):
    assert inbound(ann.test_client(), "STOP", **signing).status_code == 401
    assert suppressions(ann) == [] and consent_records(ann) == []


def test_no_signature_is_401(ann):
    form = {"From": ANN, "To": SENDER, "Body": "STOP"}
    assert ann.test_client().post(PATH, data=form).status_code == 401
    assert suppressions(ann) == []


def test_no_auth_token_configured_refuses_every_inbound_message(make_app):
    app = make_app(BROADCASTS_TWILIO_AUTH_TOKEN=None)
    sms_sent_to(app, "org-1", ANN)
    assert inbound(app.test_client(), "STOP").status_code == 401
    assert suppressions(app) == []


def test_the_signature_is_checked_against_the_public_url(make_app):
    app = make_app(BROADCASTS_PUBLIC_URL="https://sms.example.com")
    sms_sent_to(app, "org-1", ANN)
    assert inbound(app.test_client(), "STOP").status_code == 401
    assert inbound(app.test_client(), "STOP", base="https://sms.example.com").status_code == 200
    assert [row[0] for row in suppressions(app)] == ["org-1"]


def test_a_body_over_the_cap_is_413(make_app):
    app = make_app(BROADCASTS_MAX_CONTENT_LENGTH=200)
    assert inbound(app.test_client(), "STOP" + " " * 300).status_code == 413


def test_a_host_with_another_provider_calls_receive_sms(app):
    with app.app_context():
        reply = receive_sms("org-7", "+44 7400 123456", "  Stop ", provider="vonage", reference="msg-1")
        assert (reply.keyword.value, reply.organizations, reply.changed) == ("stop", ("org-7",), ("org-7",))
        assert receive_sms("org-7", "+447400123456", "stop now").keyword is None
        again = receive_sms("org-7", "+447400123456", "UNSTOP", provider="vonage")
        assert (again.keyword.value, again.changed) == ("start", ("org-7",))
    assert suppressions(app) == []
    assert [row[1:] for row in consent_records(app)] == [
        ("withdrawn", "provider", "sms_stop", "vonage:STOP"),
        ("given", "provider", None, "vonage:UNSTOP"),
    ]
