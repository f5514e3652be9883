"""What bounce mail says, read without a database: which message (the VERP token of the address it
came back to), hard or soft (the DSN's status, else flufl.bounce's detectors), and nothing from
mail that is no bounce — whatever bytes it is made of (Hypothesis)."""

from __future__ import annotations

import os

import hypothesis
import pytest
from flask import Flask
from hypothesis import HealthCheck
from hypothesis import strategies as st

from flask_broadcasts.feedback import BounceResult, FeedbackEvent, FeedbackKind
from flask_broadcasts.feedback.bounce_mail import parse_bounce
from flask_broadcasts.signing import verp_address
from tests.support import bounces

BOUNCES = "bounces@acme.test"
ANN = "ann@example.org"


@pytest.fixture
def to():
    app = Flask("bounce-parse")
    app.config.update(SECRET_KEY="bounce-secret")
    with app.app_context():
        yield verp_address(BOUNCES, 42)


def _event(raw: bytes) -> FeedbackEvent:
    parsed = parse_bounce(raw, BOUNCES)
    assert isinstance(parsed, FeedbackEvent), parsed
    assert (parsed.provider, parsed.message_id, parsed.address) == ("mail", 42, None)
    return parsed


def test_an_rfc_3464_dsn_hard_by_its_5xx_status(to) -> None:
    event = _event(bounces.rfc3464(to, ANN, message_id="<dsn-1@mx.example.net>"))
    assert event.kind is FeedbackKind.HARD_BOUNCE
    assert event.key == "<dsn-1@mx.example.net>:42"  # the bounce's own Message-ID: read twice, applied once
    assert event.detail.startswith("5.1.1 smtp; 550 5.1.1")


def test_a_dsn_that_gave_up_on_a_4xx_is_soft_and_a_delay_is_no_bounce(to) -> None:
    soft = _event(bounces.rfc3464(to, ANN, status="4.2.2", diagnostic="smtp; 452 4.2.2 Mailbox full"))
    assert soft.kind is FeedbackKind.SOFT_BOUNCE and "Mailbox full" in soft.detail
    delayed = bounces.rfc3464(to, ANN, status="4.4.1", action="delayed")
    assert parse_bounce(delayed, BOUNCES) is BounceResult.NOT_A_BOUNCE


@pytest.mark.parametrize("shape", sorted(bounces.NON_STANDARD))
def test_non_standard_bounces_are_hard(to, shape) -> None:
    assert _event(bounces.NON_STANDARD[shape](to, ANN)).kind is FeedbackKind.HARD_BOUNCE


def test_the_token_is_read_from_the_header_each_system_uses(to) -> None:
    # qmail: Delivered-To (its To is the bare address); Postfix: X-Original-To; Exim: Envelope-To.
    for raw in (bounces.qmail(to, ANN), bounces.postfix_old(to, ANN), bounces.exim_old(to, ANN)):
        assert _event(raw).message_id == 42


def test_an_auto_reply_is_no_bounce_and_a_bare_or_forged_address_names_nothing(to) -> None:
    assert parse_bounce(bounces.auto_reply(to), BOUNCES) is BounceResult.NOT_A_BOUNCE
    assert parse_bounce(bounces.qmail(BOUNCES, ANN), BOUNCES) is BounceResult.NO_TOKEN
    forged = to.replace("+42-", "+41-")
    assert parse_bounce(bounces.rfc3464(forged, ANN), BOUNCES) is BounceResult.NO_TOKEN
    # The token only counts in the envelope headers, never in the (anyone's) body.
    body_only = bounces.qmail("bounces@acme.test", to)
    assert parse_bounce(body_only, BOUNCES) is BounceResult.NO_TOKEN


EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "60"))


def test_no_bytes_make_the_parser_raise(to) -> None:
    shapes = [bounces.rfc3464(to, ANN), bounces.qmail(to, ANN), bounces.microsoft(to, ANN)]

    @hypothesis.given(
        raw=st.one_of(
            st.binary(max_size=2000),
            st.tuples(st.sampled_from(shapes), st.integers(0, 2000), st.binary(max_size=200)).map(
                lambda t: t[0][: t[1]] + t[2] + t[0][t[1] :]
            ),
        )
    )
    @hypothesis.settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    def parse(raw: bytes) -> None:
        assert isinstance(parse_bounce(raw, BOUNCES), (FeedbackEvent, BounceResult))

    parse()
