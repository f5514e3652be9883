"""Whose problem an answer is: the message's, or the provider's.

One table for every channel, so that a temporary answer about *one recipient* (a
greylisted address, a full mailbox) defers that message alone, while a temporary answer
about the *connection* (the server is busy, throttles us, is going down) holds the whole
channel and costs no message a try.

SMTP (RFC 5321): an answer is classified by the stage it answered.

========================  ==========================  ==============================
stage                     4xx                         5xx
========================  ==========================  ==============================
connect, EHLO, AUTH       provider (retry the batch)  provider (our configuration)
MAIL                      provider                    provider (a refused sender is
                                                      our configuration)
RCPT, DATA, end of data   this message: deferred      this message: refused
========================  ==========================  ==============================

A refusal is also a **hard bounce** (``is_hard_bounce``: the address itself is bad,
so it is suppressed as a provider's hard bounce would be) when its enhanced status code
(RFC 3463) says so — ``5.1.x`` (bad mailbox or domain; not ``5.1.7``/``5.1.8``, the
sender's address) or ``5.2.1`` (mailbox disabled) — or, without one, when RCPT got
``550``, ``551`` or ``553``. A policy refusal (``5.7.x``: spam, authentication) or a full
mailbox is not: it is about the message or the moment, not the address.

``421`` (the server closes the connection) is the provider's whatever the stage, as is
any answer below 200 or above 599 (a server that speaks no SMTP).

SMS gateways answer over HTTP, each in its own words: their provider classifies them
(``flask_broadcasts.channels.sms.twilio_provider``: ``429``/``503`` the gateway's, a ``5xx`` maybe queued, other
``4xx`` that message's refusal).
"""

from __future__ import annotations

import enum
import re

__all__ = ["SmtpStage", "Verdict", "classify_smtp", "is_hard_bounce"]


class SmtpStage(str, enum.Enum):
    """The command an SMTP answer answered."""

    CONNECT = "connect"
    EHLO = "ehlo"
    AUTH = "auth"
    MAIL = "mail"
    RCPT = "rcpt"
    DATA = "data"
    #: The answer to the final ``.`` of the message text.
    END_OF_DATA = "end_of_data"


class Verdict(str, enum.Enum):
    """What an answer means for the message and its channel."""

    #: Accepted.
    ACCEPTED = "accepted"
    #: This recipient cannot get it this way, for good (``refused``).
    REFUSED = "refused"
    #: This recipient cannot get it now: try this message again later, alone.
    DEFERRED = "deferred"
    #: The provider cannot take anything now: hold the channel; no message pays a try.
    PROVIDER_UNAVAILABLE = "provider_unavailable"


#: The stages whose answers are about one recipient (the envelope and the text of one message).
_MESSAGE_STAGES = frozenset({SmtpStage.RCPT, SmtpStage.DATA, SmtpStage.END_OF_DATA})
#: "Service not available, closing transmission channel": the server's state, never the recipient's.
_CLOSING = 421


def classify_smtp(stage: SmtpStage, code: int) -> Verdict:
    """The verdict of an SMTP answer ``code`` to ``stage`` (see the module's table)."""
    if 200 <= code < 400:
        return Verdict.ACCEPTED
    if code == _CLOSING or not 400 <= code < 600 or stage not in _MESSAGE_STAGES:
        return Verdict.PROVIDER_UNAVAILABLE
    return Verdict.DEFERRED if code < 500 else Verdict.REFUSED


#: The first enhanced status code of an answer (``550 5.1.1 ...``), after the basic code.
_ENHANCED = re.compile(r"^\s*\d{3}[ -]([245])\.(\d{1,3})\.(\d{1,3})\b")
#: RCPT refusals that say the mailbox does not exist or is not ours, without an enhanced code.
_BAD_ADDRESS_CODES = frozenset({550, 551, 553})


def is_hard_bounce(stage: SmtpStage | None, code: int | None, answer: str) -> bool:
    """Whether a 5xx refusal ``code`` to ``stage`` (``answer``: ``"550 5.1.1 ..."``) says the
    recipient's address is bad for good (see the module docstring)."""
    if code is None or not 500 <= code < 600 or stage not in _MESSAGE_STAGES:
        return False
    enhanced = _ENHANCED.match(answer)
    if enhanced is not None:
        klass, subject, detail = enhanced.groups()
        if klass != "5":
            return False
        return (subject == "1" and detail not in ("7", "8")) or (subject, detail) == ("2", "1")
    return stage is SmtpStage.RCPT and code in _BAD_ADDRESS_CODES
