"""flask_broadcasts.services.sms_replies: what a recipient's SMS reply does, called directly as a
host with its own SMS provider calls it. A user relies on STOP silencing the number (and being
recorded each time it is said), START lifting only what a STOP put there, HELP and any other
text changing no list, and, without the host's number hook, a keyword reaching every
organization that texted the number and no other."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from flask_broadcasts.services.sms_keywords import Keyword
from flask_broadcasts.services.sms_replies import SmsReply, organizations_for_number, receive_sms, receive_sms_reply
from flask_broadcasts.services.suppressions import suppress
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG
from tests.support.twilio import sms_sent_to

ANN = "+14155552671"


def _listed() -> list[tuple]:
    session = get_state().session
    session.rollback()
    rows = session.execute(
        sa.select(
            BroadcastSuppression.organization_id,
            BroadcastSuppression.address,
            BroadcastSuppression.reason,
            BroadcastSuppression.source_id,
        ).order_by(BroadcastSuppression.organization_id)
    )
    return [tuple(row) for row in rows]


def _records() -> list[tuple]:
    rows = get_state().session.execute(
        sa.select(BroadcastConsentEvent.action, BroadcastConsentEvent.reference).order_by(BroadcastConsentEvent.id)
    )
    return [tuple(row) for row in rows]


def test_stop_silences_the_number_and_each_stop_is_recorded(app):
    reply = receive_sms(ORG, "+1 (415) 555-2671", " stop ", provider="vonage", reference="in-1")
    assert (reply.keyword, reply.organizations, reply.changed) == (Keyword.STOP, (ORG,), (ORG,))
    again = receive_sms(ORG, ANN, "STOP", provider="vonage", reference="in-2")
    assert (again.organizations, again.changed) == ((ORG,), ())  # already listed: the list is unchanged
    assert _listed() == [(ORG, ANN, "sms_stop", "in-1")]
    assert _records() == [("withdrawn", "vonage:STOP"), ("withdrawn", "vonage:STOP")]


def test_start_lifts_only_what_a_stop_put_there(app):
    receive_sms(ORG, ANN, "STOP")
    lifted = receive_sms(ORG, ANN, "unstop")
    assert (lifted.keyword, lifted.changed) == (Keyword.START, (ORG,))
    assert _listed() == []
    # A suppression a person added stays: START records the consent and lifts nothing.
    suppress(ORG, "sms", ANN, "manual", {"kind": "user", "id": None})
    kept = receive_sms(ORG, ANN, "START")
    assert (kept.organizations, kept.changed) == ((ORG,), ())
    assert [row[2] for row in _listed()] == ["manual"]
    assert [action for action, _ in _records()][-2:] == ["withdrawn", "given"]


def test_help_and_other_texts_change_no_list(app):
    help_reply = receive_sms(ORG, ANN, "help")
    assert (help_reply.keyword, help_reply.organizations, help_reply.changed) == (Keyword.HELP, (ORG,), ())
    assert _records() == [("help", "host:HELP")]
    for text in ("stop it please", "STOP.", ""):
        assert receive_sms(ORG, ANN, text) == SmsReply(None)
    # A sender that is no mobile number: the keyword is known, nothing is done.
    assert receive_sms(ORG, "Twilio", "STOP").organizations == ()
    assert _listed() == [] and len(_records()) == 1


def test_without_the_hook_a_keyword_reaches_every_organization_that_texted_the_number(app):
    sms_sent_to(app, "org-1", "+1 415-555-2671")  # the host's spacing
    sms_sent_to(app, "org-2", ANN)
    sms_sent_to(app, "org-3", "+14155550100")  # another number
    suppress("org-4", "sms", ANN, "manual", {"kind": "user", "id": None})  # holds it on its list
    assert organizations_for_number(ANN) == ["org-1", "org-2", "org-4"]

    reply = receive_sms_reply("+15005550006", ANN, "STOP", provider="twilio", reference="SMin1")
    assert (reply.organizations, reply.changed) == (("org-1", "org-2", "org-4"), ("org-1", "org-2"))
    # With the hook, the receiving number names the one organization.
    get_state().extension.sms_number_organization({"+15005550006": "org-3"}.get)
    assert receive_sms_reply("+15005550006", ANN, "STOP", provider="twilio").organizations == ("org-3",)
    assert [row[0] for row in _listed()] == ["org-1", "org-2", "org-3", "org-4"]
