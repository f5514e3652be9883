"""docs/api.rst lists the channel statuses and error codes the code has: no more, no fewer."""

from __future__ import annotations

import re
from pathlib import Path

from flask_broadcasts.statuses import ChannelStatus, ErrorCode

API_PAGE = Path(__file__).resolve().parents[2] / "docs" / "api.rst"


def _listed(after: str) -> list[str]:
    """The ``* - ``value`` `` rows of the first list-table after the line ``after``."""
    text = API_PAGE.read_text()
    start = text.index(after)
    table = text[start : text.index("\n\n", text.index(".. list-table::", start) + 20)]
    return re.findall(r"^   \* - ``([a-z_-]+)``", table, re.M)


def test_the_channel_statuses_on_the_page_are_the_enum() -> None:
    assert set(_listed("``mail_status`` / ``sms_status``:")) == {status.value for status in ChannelStatus}


def test_the_error_codes_on_the_page_are_the_enum() -> None:
    assert set(_listed("``error_code``:\n")) == {code.value for code in ErrorCode}
