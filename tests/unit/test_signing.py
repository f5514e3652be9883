"""signing.TokenMinter: the tokens a batch signs are itsdangerous's own, at the time given."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from flask import Flask
from hypothesis import given
from hypothesis import strategies as st

from flask_broadcasts.signing import InvalidToken, TokenKind, TokenMinter, sign, verify, verify_stamped

KIND = TokenKind("tests.minter")
OTHER = TokenKind("tests.other")
AT = dt.datetime(2026, 11, 3, 8, 30, 15, tzinfo=dt.UTC)


@pytest.fixture
def app() -> Flask:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="new-key", SECRET_KEY_FALLBACKS=["old-key"])
    return app


@given(
    organization=st.text(max_size=30),
    channel=st.sampled_from(["mail", "sms"]),
    message_id=st.integers(min_value=1, max_value=2**63 - 1),
)
def test_a_minted_token_is_the_token_sign_makes_at_that_time(organization, channel, message_id):
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "new-key"
    payload = [organization, channel, message_id]
    with app.app_context(), time_machine.travel(AT, tick=False):
        expected = sign(KIND, payload)
        minted = TokenMinter(KIND).sign(payload, at=AT)
    if not expected.startswith("."):  # itsdangerous compressed it; the minter never does
        assert minted == expected
    with app.app_context(), time_machine.travel(AT + dt.timedelta(seconds=30), tick=False):
        assert verify(KIND, minted, max_age=60) == payload


def test_the_same_message_gets_the_same_token_whenever_it_is_built(app):
    with app.app_context():
        first = TokenMinter(KIND).sign(["org-1", "mail", 7], at=AT)
        with time_machine.travel(AT + dt.timedelta(days=3)):
            again = TokenMinter(KIND).sign(["org-1", "mail", 7], at=AT)
        assert first == again
        # A naive time is UTC, as SQLite gives stored times back.
        assert TokenMinter(KIND).sign(["org-1", "mail", 7], at=AT.replace(tzinfo=None)) == first


def test_verify_stamped_gives_the_signing_time_and_refuses_what_is_not_genuine(app):
    with app.app_context():
        token = TokenMinter(KIND).sign(["org-1", "sms", 9], at=AT)
        assert verify_stamped(KIND, token) == (["org-1", "sms", 9], AT.replace(microsecond=0))
        altered = token[:-5] + ("A" if token[-5] != "A" else "B") + token[-4:]
        for bad in (altered, token.replace(".", "x", 1), "not-a-token", ""):
            with pytest.raises(InvalidToken):
                verify_stamped(KIND, bad)
        with pytest.raises(InvalidToken):  # a salt of its own per kind
            verify_stamped(OTHER, token)


def test_the_newest_key_signs_and_a_rotated_out_key_still_verifies(app):
    old = Flask(__name__)
    old.config["SECRET_KEY"] = "old-key"
    with old.app_context():
        signed_with_old = TokenMinter(KIND).sign(["org-1", "mail", 3], at=AT)
    with app.app_context():
        assert verify_stamped(KIND, signed_with_old)[0] == ["org-1", "mail", 3]
        assert TokenMinter(KIND).sign(["org-1", "mail", 3], at=AT) != signed_with_old


def test_a_token_changed_in_any_one_character_is_refused_by_every_verifier(app):
    """The signature's last base64 character has bits no byte uses: changed to a character
    that differs only there, it decoded to the same signature and a genuine token's
    neighbour unsubscribed its recipient (found by the unsubscribe route's fuzz test)."""
    from flask_broadcasts.signing import sign_stable, verify_stable

    with app.app_context(), time_machine.travel(AT, tick=False):
        verifiers = [
            (TokenMinter(KIND).sign(["org-1", "mail", 5], at=AT), lambda t: verify_stamped(KIND, t)),
            (sign(KIND, ["org-1", "mail", 5]), lambda t: verify(KIND, t, max_age=60)),
            (sign_stable(KIND, ["org-1", "mail", 5]), lambda t: verify_stable(KIND, t)),
        ]
        for token, verifier in verifiers:
            assert verifier(token)  # genuine
            for index in range(len(token)):
                for character in map(chr, range(128)):
                    if character != token[index]:
                        with pytest.raises(InvalidToken):
                            verifier(token[:index] + character + token[index + 1 :])


def _itsdangerous_token(key: str, payload, at: dt.datetime) -> str:
    """The token itsdangerous's own timed signer makes of ``payload`` at ``at``, uncompressed
    (the construction the minter replaced: json.dumps, then the signer's own helpers)."""
    import json

    from itsdangerous import URLSafeTimedSerializer
    from itsdangerous.encoding import base64_encode

    signer = URLSafeTimedSerializer([key], salt=KIND.salt).make_signer()
    signer.get_timestamp = lambda: int(at.timestamp() if at.tzinfo else at.replace(tzinfo=dt.UTC).timestamp())
    dumped = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode()
    return signer.sign(base64_encode(dumped)).decode("ascii")


@given(
    payloads=st.lists(
        st.one_of(
            st.tuples(st.text(max_size=12), st.sampled_from(["mail", "sms"]), st.integers()).map(list),
            st.lists(st.one_of(st.text(max_size=5), st.integers(), st.booleans(), st.none()), max_size=4),
            st.text(max_size=8),
            st.integers(),
        ),
        min_size=1,
        max_size=8,
    ),
    seconds=st.lists(st.integers(min_value=0, max_value=3), min_size=8, max_size=8),
)
def test_a_minter_signing_many_payloads_makes_the_tokens_itsdangerous_makes(payloads, seconds):
    """The JSON it keeps of leading items, and the time's part it keeps of the last time, give
    each token exactly what itsdangerous builds from scratch (quotes, controls, non-ASCII,
    booleans and payloads of every shape included)."""
    app = Flask(__name__)
    app.config["SECRET_KEY"] = "new-key"
    with app.app_context():
        minter = TokenMinter(KIND)
        for payload, second in zip(payloads, seconds, strict=False):
            at = AT + dt.timedelta(seconds=second)
            for moment in (at, at.replace(tzinfo=None)):
                token = minter.sign(payload, at=moment)
                assert token == _itsdangerous_token("new-key", payload, moment)
                assert verify_stamped(KIND, token) == (payload, at)


def test_the_time_kept_from_the_last_token_is_not_mistaken_for_another_instant(app):
    """Equal times of one zone are two instants when their fold differs (the hour repeated
    when clocks go back): each gets its own time's part."""
    from zoneinfo import ZoneInfo

    first = dt.datetime(2026, 11, 1, 1, 30, tzinfo=ZoneInfo("America/New_York"))
    second = first.replace(fold=1)
    assert first == second and first.timestamp() != second.timestamp()
    with app.app_context():
        minter = TokenMinter(KIND)
        tokens = [minter.sign(["org-1", "mail", 1], at=moment) for moment in (first, second, first)]
        assert [verify_stamped(KIND, token)[1].timestamp() for token in tokens] == [
            first.timestamp(),
            second.timestamp(),
            first.timestamp(),
        ]
        assert tokens == [
            _itsdangerous_token("new-key", ["org-1", "mail", 1], moment) for moment in (first, second, first)
        ]
