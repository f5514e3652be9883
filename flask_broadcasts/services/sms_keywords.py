"""The SMS keywords a recipient texts back, and what each means.

Since the FCC's 2025 rule, STOP, QUIT, END, REVOKE, OPT OUT, CANCEL and UNSUBSCRIBE revoke
consent by themselves; Twilio's default opt-out keywords add STOPALL and OPTOUT. START, YES
and UNSTOP opt back in (Twilio's opt-in keywords); HELP asks for the sender's help text
(CTIA). A keyword counts only **alone in the message**: any case, surrounding whitespace
trimmed and inner whitespace collapsed (``" Stop "``, ``"opt  out"``). Anything else —
``"stop it please"``, ``"STOP."`` — is a message, not a keyword, as for Twilio and Mautic.
"""

from __future__ import annotations

import enum

__all__ = ["HELP_KEYWORDS", "OPT_IN_KEYWORDS", "OPT_OUT_KEYWORDS", "Keyword", "keyword_of"]


class Keyword(str, enum.Enum):
    """What an inbound SMS asks for."""

    #: Revoke consent: an ``sms_stop`` suppression of the sender's number.
    STOP = "stop"
    #: Opt back in: lifts an ``sms_stop`` suppression (only that reason).
    START = "start"
    #: Asks for help: recorded, nothing else changes.
    HELP = "help"


OPT_OUT_KEYWORDS = frozenset({"stop", "stopall", "unsubscribe", "cancel", "end", "quit", "revoke", "optout", "opt out"})
OPT_IN_KEYWORDS = frozenset({"start", "yes", "unstop"})
HELP_KEYWORDS = frozenset({"help"})


def normalized(text: str | None) -> str:
    """``text`` trimmed, inner whitespace collapsed to one space, lower-cased; ``""`` unless ASCII
    (no ``"ſtop"`` or ligature that Unicode case folding would turn into a keyword)."""
    word = " ".join((text or "").split())
    return word.lower() if word.isascii() else ""


def keyword_of(text: str | None) -> Keyword | None:
    """The keyword ``text`` is, or ``None`` when it is any other message."""
    word = normalized(text)
    if word in OPT_OUT_KEYWORDS:
        return Keyword.STOP
    if word in OPT_IN_KEYWORDS:
        return Keyword.START
    if word in HELP_KEYWORDS:
        return Keyword.HELP
    return None
