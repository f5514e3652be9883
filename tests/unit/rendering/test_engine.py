from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from markupsafe import Markup

from flask_broadcasts.rendering import placeholders
from flask_broadcasts.rendering.engine import CompiledTemplate, RecipientData, TemplateContent
from flask_broadcasts.rendering.placeholders import CompiledText
from flask_broadcasts.rendering.validation import (
    PlaceholderProblem,
    is_safe_action_url,
    validate_i18n_keys,
    validate_placeholders,
)

CONTENT = TemplateContent(
    subject="Hello {first_name}!",
    body="<p>Hi {first_name}, here's your update.</p>",
    body_short="Hi {first_name}, check your update.",
    action_label="View {first_name}",
    action_url="https://example.com/u/{first_name}?ref={ref}",
    channels=("mail", "sms"),
    subject_i18n={"fr": "Bonjour {first_name} !", "fr_CA": "Allô {first_name} !"},
    body_i18n={"fr": "<p>Salut {first_name}</p>"},
    body_short_i18n={"de": "Hallo {first_name}"},
    action_label_i18n={"fr": "Voir"},
)
ADA = RecipientData({"first_name": "Ada", "ref": "x"}, email="ada@example.com", mobile="+33600000000")


def render(content: TemplateContent = CONTENT, **recipient: object) -> object:
    data = {"bindings": {"first_name": "Ada"}, "email": "a@example.com", "mobile": "+33612345678"}
    data.update(recipient)
    return CompiledTemplate.compile(content).render(RecipientData(**data))  # type: ignore[arg-type]


def test_renders_default_texts() -> None:
    message = CompiledTemplate.compile(CONTENT).render(ADA)
    assert message.subject == "Hello Ada!"
    assert message.body == "<p>Hi Ada, here's your update.</p>"
    assert message.body_short == "Hi Ada, check your update."
    assert message.action_label == "View Ada"
    assert message.action_url == "https://example.com/u/Ada?ref=x"
    assert message.channels == ("mail", "sms")
    assert message.locale is None
    assert message.email == "ada@example.com"
    assert message.mobile == "+33600000000"
    assert (message.sms_encoding, message.sms_segments) == ("GSM-7", 1)


# --- values by context -----------------------------------------------------


def test_body_values_are_html_escaped_but_template_html_is_kept() -> None:
    message = render(bindings={"first_name": "<script>alert('x')</script>&"})
    assert message.body == ("<p>Hi &lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;, here's your update.</p>")


def test_body_short_values_are_plain() -> None:
    message = render(bindings={"first_name": "<b>&"})
    assert message.body_short == "Hi <b>&, check your update."


@pytest.mark.parametrize("separator", ["\r\n", "\r", "\n", "\v", "\f", "\x85", "\u2028", "\u2029", "\x1e", "\t"])
def test_line_separators_in_values_become_one_space_in_one_line_fields(separator: str) -> None:
    message = render(bindings={"first_name": f"Ada{separator}{separator}Bcc: x@evil"})
    assert message.subject == "Hello Ada Bcc: x@evil!"
    assert message.action_label == "View Ada Bcc: x@evil"
    assert message.subject.splitlines() == [message.subject]


def test_line_breaks_in_template_text_of_one_line_fields_are_removed() -> None:
    content = TemplateContent(subject="Hi\r\n{first_name}\u2028!\x00", action_label="Go\nnow")
    message = render(content)
    assert message.subject == "Hi Ada !"
    assert message.action_label == "Go now"


def test_line_breaks_are_kept_in_bodies() -> None:
    content = TemplateContent(body="a\n{first_name}", body_short="a\n{first_name}", channels=("mail", "sms"))
    message = render(content, bindings={"first_name": "x\ny"})
    assert message.body == "a\nx\ny"
    assert message.body_short == "a\nx\ny"


def test_unicode_values() -> None:
    message = render(bindings={"first_name": "Zoë 李 👋"})
    assert message.subject == "Hello Zoë 李 👋!"
    assert message.body_short == "Hi Zoë 李 👋, check your update."
    assert message.sms_encoding == "UCS-2"


@pytest.mark.parametrize(
    "value",
    [
        "{0.__class__}",
        "{first_name.__init__.__globals__}",
        "{{7*7}}",
        "${7*7}",
        "<%= 7*7 %>",
        "{ref}",
    ],
)
def test_injection_in_values_is_inert(value: str) -> None:
    message = render(bindings={"first_name": value, "ref": "SECRET"})
    assert "SECRET" not in message.body_short
    assert message.body_short == f"Hi {value}, check your update."
    assert "49" not in message.subject


@pytest.mark.parametrize(
    "text",
    [
        "{0.__class__}",
        "{first_name.__init__}",
        "{first_name.__init__.__globals__}",
        "${7*7}",
        "<%= 7*7 %>",
        "{{7*7}}",
    ],
)
def test_injection_in_template_text_is_inert(text: str) -> None:
    content = TemplateContent(subject=text, body=text, body_short=text, channels=("mail", "sms"))
    message = render(content)
    assert message.subject == message.body == message.body_short == text


def test_double_braces_render_value_in_braces() -> None:
    assert render(TemplateContent(subject="{{first_name}}")).subject == "{Ada}"


def test_missing_and_none_bindings_render_empty() -> None:
    message = render(bindings={"first_name": None})
    assert message.subject == "Hello !"
    assert message.action_url == "https://example.com/u/?ref="


def test_non_string_bindings_are_coerced() -> None:
    assert render(bindings={"first_name": 42}).subject == "Hello 42!"


# --- action_url ----------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        "@evil.example",
        "/../../admin",
        "x?admin=1#frag",
        "//evil.example/",
        "a b",
        "javascript:alert(1)",
        "é",
    ],
)
def test_action_url_values_cannot_change_scheme_or_host(value: str) -> None:
    message = render(bindings={"first_name": value, "ref": value})
    parts = urlsplit(message.action_url)
    assert (parts.scheme, parts.netloc) == ("https", "example.com")
    assert parts.path.startswith("/u/")
    assert "/" not in parts.path[3:] and "?" not in parts.path and "#" not in message.action_url
    assert " " not in message.action_url


def test_action_url_value_encoding() -> None:
    message = render(bindings={"first_name": "a/b c", "ref": "x&y=z"})
    assert message.action_url == "https://example.com/u/a%2Fb%20c?ref=x%26y%3Dz"


@pytest.mark.parametrize(
    "url",
    [
        "https://example.com",
        "http://example.com/path?q=1",
        "https://example.com/u/{first_name}?ref={ref}#{frag}",
        "HTTPS://Example.COM:8443/x",
    ],
)
def test_safe_action_urls(url: str) -> None:
    assert is_safe_action_url(url)


@pytest.mark.parametrize(
    "url",
    [
        "",
        "{url}",
        "javascript:alert(1)",
        "data:text/html,<script>",
        "ftp://example.com/",
        "//example.com/x",
        "/relative",
        "https://",
        "https:///path",
        "https://{domain}/x",
        "https://{sub}.example.com/",
        "https://example.com{path}",
        "https://bank.example@evil.example/",
        "https://example.com:99999/",
        "https://exa mple.com/",
        "https://example.com/\nX",
        "https:\\\\evil.example",
        "{scheme}://example.com",
    ],
)
def test_unsafe_action_urls(url: str) -> None:
    assert not is_safe_action_url(url)


# --- locale ----------------------------------------------------------------


def test_exact_locale() -> None:
    message = render(locale="fr-CA")
    assert message.subject == "Allô Ada !"
    assert message.body == "<p>Salut Ada</p>"  # fr-CA → fr for the body
    assert message.action_label == "Voir"
    assert message.body_short == "Hi Ada, check your update."  # no fr variant
    assert message.locale == "fr"  # the variant used for the body


def test_language_fallback_underscore_and_case() -> None:
    for requested in ("fr_BE", "FR-be", "fr"):
        message = render(locale=requested)
        assert message.subject == "Bonjour Ada !"
        assert message.locale == "fr"


def test_default_text_when_no_variant() -> None:
    message = render(locale="ja-JP")
    assert message.subject == "Hello Ada!"
    assert message.locale is None


@pytest.mark.parametrize("locale", [None, "", "not a locale", "xx"])
def test_missing_or_junk_recipient_locale_uses_default(locale: str | None) -> None:
    message = render(locale=locale)
    assert message.subject == "Hello Ada!"
    assert message.locale is None


def test_sms_only_template_reports_body_short_locale() -> None:
    content = TemplateContent(body_short="Hi", body_short_i18n={"de-AT": "Servus"}, channels=("sms",))
    message = render(content, locale="de_at")
    assert message.body_short == "Servus"
    assert message.locale == "de-AT"


def test_compile_rejects_bad_i18n_keys_and_channels() -> None:
    with pytest.raises(ValueError, match="body_i18n"):
        CompiledTemplate.compile(TemplateContent(body_i18n={"xx": "?"}))
    with pytest.raises(ValueError, match="duplicates"):
        CompiledTemplate.compile(TemplateContent(subject_i18n={"fr_CA": "a", "fr-ca": "b"}))
    with pytest.raises(ValueError, match="fax"):
        CompiledTemplate.compile(TemplateContent(channels=("mail", "fax")))
    with pytest.raises(ValueError, match="repeat"):
        CompiledTemplate.compile(TemplateContent(channels=("mail", "mail")))


def test_validate_i18n_keys() -> None:
    content = TemplateContent(subject_i18n={"fr": "a", "FR": "b"}, body_i18n={"xx": "c", "de": "d"})
    assert validate_i18n_keys(content) == [("subject_i18n", "FR"), ("body_i18n", "xx")]
    assert validate_i18n_keys(CONTENT) == []


# --- channels --------------------------------------------------------------


@pytest.mark.parametrize(
    ("email", "mobile", "channels"),
    [
        ("a@example.com", "+33612345678", ("mail", "sms")),
        (None, "+33612345678", ("sms",)),
        ("", "+33612345678", ("sms",)),
        ("  ", "+33612345678", ("sms",)),
        ("a@example.com", None, ("mail",)),
        (None, None, ()),
    ],
)
def test_channels_removed_without_address(email: str | None, mobile: str | None, channels: tuple[str, ...]) -> None:
    message = render(email=email, mobile=mobile)
    assert message.channels == channels
    if "sms" in channels:
        assert (message.sms_encoding, message.sms_segments) == ("GSM-7", 1)
    else:
        assert (message.sms_encoding, message.sms_segments) == (None, None)


def test_channels_keep_template_order() -> None:
    content = TemplateContent(channels=("sms", "mail"))
    assert render(content).channels == ("sms", "mail")


def test_sms_segments_of_rendered_body_short() -> None:
    content = TemplateContent(body_short="{text}", channels=("sms",))
    message = render(content, bindings={"text": "a" * 161})
    assert (message.sms_encoding, message.sms_segments) == ("GSM-7", 2)
    assert render(content, bindings={"text": "€" * 80}).sms_segments == 1
    assert render(content, bindings={"text": "👋" * 36}).sms_segments == 2


def test_mail_only_template_has_no_sms_info() -> None:
    message = render(TemplateContent(channels=("mail",)))
    assert (message.channels, message.sms_encoding, message.sms_segments) == (("mail",), None, None)


# --- compile once ----------------------------------------------------------


def test_compiled_template_holds_segments_for_every_text_and_variant() -> None:
    compiled = CompiledTemplate.compile(CONTENT)
    assert isinstance(compiled.subject.default, CompiledText)
    assert compiled.subject.default.names == ("first_name",)
    assert set(compiled.subject.variants) == {"fr", "fr-CA"}
    assert compiled.subject.variants["fr-CA"].literals == ("Allô ", " !")
    assert set(compiled.body_short.variants) == {"de"}
    assert compiled.action_url.names == ("first_name", "ref")


def test_render_does_not_parse_templates_again(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = CompiledTemplate.compile(CONTENT)

    def forbidden(*args: object, **kwargs: object) -> object:
        raise AssertionError("a template was parsed during render()")

    monkeypatch.setattr(CompiledText, "compile", classmethod(forbidden))
    monkeypatch.setattr(placeholders, "PLACEHOLDER_PATTERN", None)
    recipient = RecipientData({"first_name": "Ada"}, email="a@example.com", locale="fr")
    message = compiled.render(recipient)
    assert message.subject == "Bonjour Ada !"


# --- validation ------------------------------------------------------------


def test_validate_placeholders_points_at_field_and_key() -> None:
    content = TemplateContent(
        subject="Hi {first_name} {nope}",
        body="{secret}",
        subject_i18n={"fr": "Salut {prenom}", "de": "Hallo {first_name}"},
        action_label_i18n={"fr": "{b} {a}"},
        action_url="https://example.com/{token}",
    )
    assert validate_placeholders(content, {"first_name", "last_name"}) == [
        PlaceholderProblem("subject", None, "nope"),
        PlaceholderProblem("subject_i18n", "fr", "prenom"),
        PlaceholderProblem("body", None, "secret"),
        PlaceholderProblem("action_label_i18n", "fr", "a"),
        PlaceholderProblem("action_label_i18n", "fr", "b"),
        PlaceholderProblem("action_url", None, "token"),
    ]
    assert validate_placeholders(CONTENT, {"first_name", "ref"}) == []


def test_markup_values_are_escaped_too() -> None:
    # A host handing over markupsafe.Markup does not get raw HTML into the body:
    # values are coerced to plain str before escaping.
    message = render(bindings={"first_name": Markup("<b>x</b>")})
    assert message.body == "<p>Hi &lt;b&gt;x&lt;/b&gt;, here's your update.</p>"
