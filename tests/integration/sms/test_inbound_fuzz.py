"""The inbound SMS webhook never answers a 5xx: arbitrary bytes and headers unsigned (always
401, nothing changes), arbitrary forms with a wrong signature (401, nothing changes), and
arbitrary forms validly signed (so the keyword and number parsing meet them too)."""

from __future__ import annotations

import os

import hypothesis
from hypothesis import HealthCheck
from hypothesis import strategies as st
from sqlalchemy import func, select
from twilio.request_validator import RequestValidator

from flask_broadcasts import get_state
from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from tests.support.twilio import AUTH_TOKEN, SENDER, signed_post, sms_sent_to

PATH = "/api/broadcast-callbacks/twilio/inbound"
ANN = "+14155552671"
EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))
SETTINGS = hypothesis.settings(
    max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck)
)
WORDS = st.one_of(
    st.sampled_from(["STOP", " stop ", "OPT OUT", "START", "yes", "HELP", "stop it", "UNSTOP", ""]),
    st.text(max_size=40),
)
NUMBERS = st.one_of(st.sampled_from([ANN, "+1 415 555 2671", SENDER, "", "+", "Twilio"]), st.text(max_size=20))
FORMS = st.fixed_dictionaries(
    {"From": NUMBERS, "To": NUMBERS, "Body": WORDS},
    optional={
        "MessageSid": st.text(max_size=80),
        "AccountSid": st.text(max_size=40),
        "NumMedia": st.text(max_size=4),
        "SmsSid": st.text(max_size=80),
    },
)
HEADERS = st.dictionaries(
    st.sampled_from(["Content-Type", "X-Twilio-Signature", "Content-Length", "Host"]),
    st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=60),
    max_size=3,
)


def _rows(app) -> tuple[int, int]:
    with app.app_context():
        session = get_state().session
        counts = (
            session.execute(select(func.count()).select_from(BroadcastSuppression)).scalar_one(),
            session.execute(select(func.count()).select_from(BroadcastConsentEvent)).scalar_one(),
        )
        session.rollback()
        return counts


def test_unsigned_or_forged_requests_never_answer_5xx_and_change_nothing(app):
    sms_sent_to(app, "org-1", ANN)
    client = app.test_client()

    @hypothesis.given(body=st.binary(max_size=400), headers=HEADERS)
    @SETTINGS
    def unsigned(body: bytes, headers: dict[str, str]) -> None:
        answer = client.post(PATH, data=body, headers=headers)
        assert answer.status_code < 500, (answer.status_code, body, headers)
        assert answer.status_code in (400, 401, 413), answer.status_code

    @hypothesis.given(form=FORMS, token=st.text(min_size=1, max_size=30).filter(lambda t: t != AUTH_TOKEN))
    @SETTINGS
    def forged(form: dict[str, str], token: str) -> None:
        signature = RequestValidator(token).compute_signature("http://localhost" + PATH, form)
        answer = client.post(PATH, data=form, headers={"X-Twilio-Signature": signature})
        assert answer.status_code == 401, answer.status_code

    unsigned()
    forged()
    assert _rows(app) == (0, 0)


def test_signed_requests_never_answer_5xx(app):
    sms_sent_to(app, "org-1", ANN)
    client = app.test_client()

    @hypothesis.given(form=FORMS)
    @SETTINGS
    def signed(form: dict[str, str]) -> None:
        answer = signed_post(client, PATH, form)
        assert answer.status_code == 200, (answer.status_code, form)
        assert answer.get_data(as_text=True).endswith("<Response/>")

    signed()
    # A genuine STOP still works after all that.
    form = {"From": ANN, "To": SENDER, "Body": "STOP", "MessageSid": "SMlast"}
    assert signed_post(client, PATH, form).status_code == 200
    with app.app_context():
        assert (
            get_state()
            .session.execute(select(BroadcastSuppression.reason).where(BroadcastSuppression.address == ANN))
            .scalar_one()
            == "sms_stop"
        )
