"""The e-mail layout: the HTML document around a message's body, and what its text alternative gains.

One home for it, because three readers must agree with what was sent: the mail channel
builds each e-mail with it, and the reports and the click tracking find the links of the
body with its call to action (:func:`content_html`).
"""

from __future__ import annotations

import html
from typing import TYPE_CHECKING

from .headers import one_line, safe_url
from .tracking import add_pixel, rewrite_links

if TYPE_CHECKING:
    from .mime import Unsubscribe
    from .tracking import Tracking


def content_html(body: str, action_label: str | None, action_url: str | None) -> tuple[str, str]:
    """A message's ``body`` with its call to action (the part whose links may be tracked),
    and what the call to action adds to the end of the text alternative."""
    html_body, text_suffix = body, ""
    url = safe_url(action_url)
    if url:
        label = one_line(action_label or "") or url
        html_body += (
            '<p style="margin:24px 0"><a href="' + html.escape(url, quote=True) + '" style="display:inline-block;'
            'padding:12px 20px;background:#1a56db;color:#ffffff;text-decoration:none;border-radius:4px">'
            + html.escape(label)
            + "</a></p>"
        )
        text_suffix += f"\n\n{label}: {url}"
    return html_body, text_suffix


def layout(
    body: str,
    action_label: str | None,
    action_url: str | None,
    unsubscribe: Unsubscribe | None = None,
    tracking: Tracking | None = None,
) -> tuple[str, str]:
    """The e-mail layout: the HTML document of a message's ``body`` with its call to action and
    unsubscribe footer, and what the same two add to the end of the text alternative.

    ``tracking``: its links go through click URLs (the footer's never), and the open pixel
    ends the body (``channels.tracking``); only the HTML part changes.
    """
    html_body, text_suffix = content_html(body, action_label, action_url)
    if tracking is not None and tracking.click_url is not None:
        html_body = rewrite_links(html_body, tracking.click_url)
    if unsubscribe is not None and unsubscribe.footer:
        link = html.escape(unsubscribe.url, quote=True)
        html_body += (
            '<p style="margin:32px 0 0;font-size:12px;color:#6b7280"><a href="'
            + link
            + '" style="color:#6b7280">'
            + html.escape(unsubscribe.footer)
            + "</a></p>"
        )
        text_suffix += f"\n\n{unsubscribe.footer}: {unsubscribe.url}"
    document = '<!DOCTYPE html><html><head><meta charset="utf-8"></head><body>' + html_body + "</body></html>"
    if tracking is not None and tracking.open_url is not None:
        document = add_pixel(document, tracking.open_url)
    return document, text_suffix
