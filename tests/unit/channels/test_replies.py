"""Whose problem an answer is (the classification table), and a deferred message's back-off."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flask_broadcasts.channels.replies import SmtpStage, Verdict, classify_smtp, is_hard_bounce
from flask_broadcasts.engine.deferral import RetryPolicy

PROVIDER = Verdict.PROVIDER_UNAVAILABLE


@pytest.mark.parametrize(
    ("stage", "code", "verdict"),
    [
        # About one recipient: a 4xx defers that message, a 5xx refuses it.
        (SmtpStage.RCPT, 451, Verdict.DEFERRED),
        (SmtpStage.RCPT, 452, Verdict.DEFERRED),  # mailbox over quota
        (SmtpStage.DATA, 450, Verdict.DEFERRED),
        (SmtpStage.END_OF_DATA, 451, Verdict.DEFERRED),
        (SmtpStage.RCPT, 550, Verdict.REFUSED),
        (SmtpStage.END_OF_DATA, 554, Verdict.REFUSED),
        # 421: the server closes the connection: the provider's, whatever it answered.
        (SmtpStage.RCPT, 421, PROVIDER),
        (SmtpStage.END_OF_DATA, 421, PROVIDER),
        # Before the recipient: connect, EHLO, AUTH, MAIL are about us or the server.
        (SmtpStage.CONNECT, 450, PROVIDER),
        (SmtpStage.EHLO, 554, PROVIDER),
        (SmtpStage.AUTH, 454, PROVIDER),
        (SmtpStage.AUTH, 535, PROVIDER),
        (SmtpStage.MAIL, 451, PROVIDER),
        (SmtpStage.MAIL, 553, PROVIDER),  # a refused sender is our configuration
        # Not SMTP at all.
        (SmtpStage.RCPT, 0, PROVIDER),
        (SmtpStage.RCPT, 999, PROVIDER),
        (SmtpStage.RCPT, 250, Verdict.ACCEPTED),
        (SmtpStage.DATA, 354, Verdict.ACCEPTED),
    ],
)
def test_smtp_answers(stage, code, verdict):
    assert classify_smtp(stage, code) is verdict


def test_the_back_off_follows_the_intervals_then_repeats_the_last():
    policy = RetryPolicy(max_tries=10, intervals=(5, 10, 30))
    assert [policy.backoff(tries) for tries in range(1, 6)] == [5, 10, 30, 30, 30]


def test_a_message_out_of_tries_has_no_next_try():
    now = datetime(2026, 12, 2, tzinfo=UTC)
    policy = RetryPolicy(max_tries=3, intervals=(1, 2))
    assert policy.next_try_at(1, now) == now + timedelta(seconds=1)
    assert policy.next_try_at(2, now) == now + timedelta(seconds=2)
    assert policy.next_try_at(3, now) is None


def test_the_policy_of_the_settings_gives_at_least_one_try():
    class Settings:
        retry_max = 0
        retry_intervals = ()

    policy = RetryPolicy.from_settings(Settings())
    assert policy.max_tries == 1 and policy.next_try_at(1) is None


@pytest.mark.parametrize(
    ("stage", "code", "answer", "hard"),
    [
        # The address itself is bad (RFC 3463 5.1.x, 5.2.1): a hard bounce, told at once.
        (SmtpStage.RCPT, 550, "550 5.1.1 <ann@example.org>: Recipient address rejected: User unknown", True),
        (SmtpStage.RCPT, 550, "550-5.1.1 The email account that you tried to reach does not exist.", True),
        (SmtpStage.RCPT, 553, "553 5.1.2 domain does not exist", True),
        (SmtpStage.END_OF_DATA, 550, "550 5.2.1 mailbox disabled", True),
        (SmtpStage.DATA, 554, "554 5.1.10 recipient address has null MX", True),
        # Without an enhanced code: what RCPT's 550/551/553 say (mailbox unavailable, not local).
        (SmtpStage.RCPT, 550, "550 mailbox unavailable", True),
        (SmtpStage.RCPT, 551, "551 user not local; please try <ann@example.net>", True),
        (SmtpStage.RCPT, 554, "554 transaction failed", False),
        (SmtpStage.END_OF_DATA, 550, "550 message refused", False),
        # A policy refusal, a full mailbox, our own sender: not the address's fault.
        (SmtpStage.RCPT, 550, "550 5.7.1 delivery not authorized", False),
        (SmtpStage.END_OF_DATA, 550, "550 5.7.1 message rejected as spam", False),
        (SmtpStage.RCPT, 552, "552 5.2.2 mailbox full", False),
        (SmtpStage.RCPT, 550, "550 5.1.8 sender domain does not resolve", False),
        (SmtpStage.RCPT, 550, "550 5.1.7 bad sender mailbox syntax", False),
        # Not a refusal for good, or not about the recipient at all.
        (SmtpStage.RCPT, 450, "450 4.1.1 try later", False),
        (SmtpStage.MAIL, 550, "550 5.1.1 sender unknown", False),
        (None, 550, "550 5.1.1 no such user", False),
        (SmtpStage.RCPT, None, "", False),
    ],
)
def test_which_refusals_are_hard_bounces(stage, code, answer, hard) -> None:
    assert is_hard_bounce(stage, code, answer) is hard
