"""Which texts are keywords: exact words alone in the message, any case, trimmed."""

from __future__ import annotations

import pytest

from flask_broadcasts.services.sms_keywords import Keyword, keyword_of


@pytest.mark.parametrize(
    ("text", "keyword"),
    [
        ("STOP", Keyword.STOP),
        ("Stop", Keyword.STOP),
        (" STOP ", Keyword.STOP),
        ("stop\r\n", Keyword.STOP),
        ("\u00a0STOP\u00a0", Keyword.STOP),  # a no-break space is whitespace too
        ("OPT OUT", Keyword.STOP),
        ("Opt   Out", Keyword.STOP),
        ("OptOut", Keyword.STOP),
        ("stopall", Keyword.STOP),
        ("REVOKE", Keyword.STOP),
        ("Start", Keyword.START),
        ("YES", Keyword.START),
        ("unstop", Keyword.START),
        ("Help", Keyword.HELP),
    ],
)
def test_keywords(text, keyword):
    assert keyword_of(text) is keyword


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "   ",
        "stop it please",
        "STOP.",
        "STOP!",
        "please stop",
        "S T O P",
        "STOP STOP",
        "opt-out",
        "opt out now",
        "no",
        "yes please",
        "help me",
        "ſtop",
        "ＳＴＯＰ",
        "stop\x00",
    ],
)
def test_near_misses_are_not_keywords(text):
    assert keyword_of(text) is None
