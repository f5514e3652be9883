"""flask_broadcasts.rendering.validation: the checks a template's texts pass before it is stored.

What a user relies on: every unknown placeholder is reported at the attribute and locale key
where it is written (so the API's error points there); the locale keys it lets through are the
ones :meth:`CompiledTemplate.compile` accepts, so a stored template always renders; and an
action URL is refused unless it is http(s) to a fixed host."""

from __future__ import annotations

import pytest

from flask_broadcasts.rendering.engine import CompiledTemplate, TemplateContent
from flask_broadcasts.rendering.validation import (
    PlaceholderProblem,
    is_safe_action_url,
    validate_i18n_keys,
    validate_placeholders,
)


def test_an_unknown_placeholder_is_reported_everywhere_it_is_written() -> None:
    content = TemplateContent(
        subject="{coupon}",
        body_short="Use {coupon} before {expiry}",
        body_short_i18n={"fr": "Code {coupon}", "de": "Code"},
        action_url="https://shop.example/c/{coupon}",
    )
    assert validate_placeholders(content, frozenset({"expiry"})) == [
        PlaceholderProblem("subject", None, "coupon"),
        PlaceholderProblem("body_short", None, "coupon"),
        PlaceholderProblem("body_short_i18n", "fr", "coupon"),
        PlaceholderProblem("action_url", None, "coupon"),
    ]
    assert validate_placeholders(content, {"coupon", "expiry"}) == []


def test_it_reports_what_rendering_would_fill_and_nothing_it_leaves_as_text() -> None:
    # CSS and expressions are literal text when rendered; "{{coupon}}" holds the placeholder "{coupon}".
    content = TemplateContent(
        subject="{{coupon}} for {first_name}",
        body="<style>p {color:red}</style> {{7*7}} {0.__class__} {first_name.__init__}",
    )
    assert validate_placeholders(content, {"first_name"}) == [PlaceholderProblem("subject", None, "coupon")]


@pytest.mark.parametrize(
    ("content", "problems"),
    [
        (TemplateContent(subject_i18n={"fr": "a", "fr-CA": "b", "de_AT": "c"}), []),
        # The same tag in two attributes is no duplicate; twice in one attribute is.
        (TemplateContent(subject_i18n={"fr": "a"}, body_i18n={"fr": "b"}), []),
        (TemplateContent(body_short_i18n={"fr_CA": "a", "fr-ca": "b"}), [("body_short_i18n", "fr-ca")]),
        (TemplateContent(action_label_i18n={"klingon": "a", "de": "b"}), [("action_label_i18n", "klingon")]),
        (TemplateContent(subject_i18n={"de_DE.UTF-8": "a"}), [("subject_i18n", "de_DE.UTF-8")]),
    ],
)
def test_the_locale_keys_it_passes_are_the_ones_compile_accepts(
    content: TemplateContent, problems: list[tuple[str, str]]
) -> None:
    assert validate_i18n_keys(content) == problems
    if problems:
        with pytest.raises(ValueError):
            CompiledTemplate.compile(content)
    else:
        CompiledTemplate.compile(content)


@pytest.mark.parametrize(
    ("url", "safe"),
    [
        ("https://shop.example/c/{coupon}?utm={campaign}#{anchor}", True),
        ("http://shop.example:8080/", True),
        ("https://shop.example:{port}/", False),  # a placeholder cannot pick the port either
        ("https://user:pass@shop.example/", False),
        ("https://shop.example/\x7f", False),
        ("https://shop.example/\tx", False),
        ("mailto:news@shop.example", False),
        ("https://shop.example}/", False),
    ],
)
def test_an_action_url_is_http_to_a_fixed_host(url: str, safe: bool) -> None:
    assert is_safe_action_url(url) is safe
