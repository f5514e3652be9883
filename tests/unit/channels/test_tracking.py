"""Which links of an HTML part are tracked, and how they and the pixel are written in."""

from __future__ import annotations

from flask_broadcasts.channels.mail_layout import layout
from flask_broadcasts.channels.tracking import Tracking, add_pixel, rewrite_links, tracked_links

DOCUMENT = (
    "<a href=\"https://example.com/a?x=1&amp;y=2\">a</a> <A HREF='http://example.com/b'>b</A> "
    '<a href="mailto:x@example.com">m</a> <a href="javascript:alert(1)">j</a> <a href="/rel">r</a> '
    '<a title="t" href=" HTTPS://example.com/c ">c</a> <a href="https://app.example/api/broadcast-unsubscribe/tok">u</a> '
    '<a href="{unsubscribe_url}">u2</a> <link href="https://example.com/style.css">'
)


def test_only_http_links_that_are_not_the_unsubscribe_link_are_tracked() -> None:
    assert tracked_links(DOCUMENT) == ["https://example.com/a?x=1&y=2", "http://example.com/b", "HTTPS://example.com/c"]


def test_rewriting_numbers_them_in_document_order_and_leaves_the_rest() -> None:
    rewritten = rewrite_links(DOCUMENT, lambda index: f"https://t.example/c/{index}?k=v&w=1")
    assert tracked_links(rewritten) == [f"https://t.example/c/{i}?k=v&w=1" for i in range(3)]
    assert 'href="https://t.example/c/0?k=v&amp;w=1"' in rewritten  # escaped as an attribute
    for kept in (
        "mailto:x@example.com",
        "javascript:alert(1)",
        "/rel",
        "{unsubscribe_url}",
        "broadcast-unsubscribe/tok",
    ):
        assert kept in rewritten


def test_the_pixel_ends_the_body_and_the_layout_keeps_the_footer_link() -> None:
    assert add_pixel("<html><body><p>x</p></body></html>", "https://t.example/o/1.gif").endswith(
        '<img src="https://t.example/o/1.gif" width="1" height="1" alt="" '
        'style="display:block;width:1px;height:1px;border:0"></body></html>'
    )
    tracking = Tracking(click_url=lambda index: f"https://t.example/c/{index}", open_url="https://t.example/o.gif")
    document, text = layout('<a href="https://example.com/a">a</a>', "Go", "https://example.com/cta", None, tracking)
    assert tracked_links(document) == ["https://t.example/c/0", "https://t.example/c/1"]
    assert document.count("t.example/o.gif") == 1
    assert text == "\n\nGo: https://example.com/cta"  # the text part keeps the real URL
    plain, _ = layout('<a href="https://example.com/a">a</a>', None, None)
    assert "t.example" not in plain
