"""The e-mail layout around a message's body: its call to action and unsubscribe footer, in both parts."""

from __future__ import annotations

from flask_broadcasts.channels.mail_layout import content_html, layout
from flask_broadcasts.channels.mime import Unsubscribe


def test_the_call_to_action_is_a_button_in_html_and_a_line_in_the_text():
    document, text = layout("<p>Hi</p>", 'Book "now" <b>', "https://example.com/book?a=1&b=2")
    assert document.startswith('<!DOCTYPE html><html><head><meta charset="utf-8"></head><body><p>Hi</p>')
    assert 'href="https://example.com/book?a=1&amp;b=2"' in document
    assert "Book &quot;now&quot; &lt;b&gt;</a>" in document  # the label is text, never markup
    assert text == '\n\nBook "now" <b>: https://example.com/book?a=1&b=2'


def test_a_call_to_action_without_a_safe_link_is_left_out():
    document, text = layout("<p>Hi</p>", "Click", "javascript:alert(1)")
    assert "javascript" not in document and "Click" not in document
    assert text == ""


def test_a_call_to_action_without_a_label_shows_its_link():
    _, text = layout("<p>Hi</p>", None, "https://example.com/x")
    assert text == "\n\nhttps://example.com/x: https://example.com/x"


def test_the_footer_follows_the_call_to_action_and_is_left_out_when_the_template_has_the_link():
    link = Unsubscribe("https://app.example/u/tok?a=1&b=2", footer="Unsubscribe")
    document, text = layout("<p>Hi</p>", "Go", "https://example.com/go", link)
    assert document.index("example.com/go") < document.index('href="https://app.example/u/tok?a=1&amp;b=2"')
    assert text == "\n\nGo: https://example.com/go\n\nUnsubscribe: https://app.example/u/tok?a=1&b=2"
    without_footer, text = layout("<p>Hi</p>", None, None, Unsubscribe("https://app.example/u/tok"))
    assert "app.example" not in without_footer and text == ""


def test_the_tracked_part_is_the_body_with_its_call_to_action_and_nothing_of_the_frame():
    html_body, suffix = content_html("<p>Hi</p>", "Go", "https://example.com/go")
    assert html_body.startswith("<p>Hi</p><p ") and "<body>" not in html_body
    assert suffix == "\n\nGo: https://example.com/go"
