"""Tracked links and the open pixel in the HTML part of an e-mail.

A link is tracked when it is an ``<a href>`` of the HTML part whose URL is http(s) and is
not an unsubscribe link; its *index* is its place among those links in the message's body
and call to action, in document order. The same function finds them when the e-mail is
built and when a click comes back (:func:`tracked_links`, over the message's stored texts
rendered again), so a click token's index always names the same URL, and the redirect
target is read from the message, never from the request: there is no open redirect.
The text part is never rewritten (its URLs stay readable and the same as they were).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["Tracking", "add_pixel", "rewrite_links", "tracked_links"]

# An ``href`` of an ``<a>`` tag, quoted either way (what templates and the layout write).
_HREF = re.compile(r"""(<a\b[^>]*?\shref\s*=\s*)(["'])(.*?)\2""", re.IGNORECASE | re.DOTALL)
# The unsubscribe link (the one-click URL, or its placeholder before it is filled in).
_UNSUBSCRIBE_MARKS = ("/broadcast-unsubscribe/", "{unsubscribe_url}")


@dataclass(frozen=True)
class Tracking:
    """What one e-mail's HTML part gets: a click URL per link index, and the pixel's URL."""

    #: link index → the tracked URL (``None``: clicks are not tracked).
    click_url: Callable[[int], str] | None = None
    #: The open pixel's URL (``None``: opens are not tracked).
    open_url: str | None = None


def _tracked(url: str) -> bool:
    lowered = url.strip().lower()
    if not lowered.startswith(("http://", "https://")):
        return False
    return not any(mark in lowered for mark in _UNSUBSCRIBE_MARKS)


def tracked_links(document: str) -> list[str]:
    """The tracked links of an HTML ``document`` (URLs unescaped), in index order."""
    links = []
    for match in _HREF.finditer(document):
        url = html.unescape(match.group(3))
        if _tracked(url):
            links.append(url.strip())
    return links


def rewrite_links(document: str, click_url: Callable[[int], str]) -> str:
    """``document`` with each tracked link's URL replaced by ``click_url(index)``."""
    index = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal index
        if not _tracked(html.unescape(match.group(3))):
            return match.group(0)
        url = click_url(index)
        index += 1
        return match.group(1) + match.group(2) + html.escape(url, quote=True) + match.group(2)

    return _HREF.sub(replace, document)


def add_pixel(document: str, open_url: str) -> str:
    """``document`` with the 1x1 open pixel at the end of its body."""
    pixel = (
        '<img src="' + html.escape(open_url, quote=True) + '" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0">'
    )
    head, found, tail = document.rpartition("</body>")
    return head + pixel + found + tail if found else document + pixel
