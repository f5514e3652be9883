from __future__ import annotations

import pytest

from flask_broadcasts.rendering import placeholders
from flask_broadcasts.rendering.placeholders import CompiledText, coerce_value, find_placeholders


def render(text: str, **bindings: object) -> str:
    return CompiledText.compile(text).render(bindings)


def test_find_placeholders() -> None:
    assert find_placeholders("Hi {first_name} {last_name}, {first_name}!") == {
        "first_name",
        "last_name",
    }
    assert find_placeholders("no variables") == set()
    assert find_placeholders("{_x1} {A} {1a} {a-b} { a }") == {"_x1", "A"}


def test_substitutes_values() -> None:
    assert render("Hi {first_name}!", first_name="Ada") == "Hi Ada!"
    assert render("{a}{b}{a}", a="1", b="2") == "121"


def test_missing_binding_renders_empty() -> None:
    assert render("Hi {first_name}!") == "Hi !"


def test_values_are_coerced() -> None:
    assert render("{n} {none} {flag}", n=3, none=None, flag=True) == "3  True"
    assert coerce_value(None) == ""
    assert coerce_value(1.5) == "1.5"


def test_unicode_text_and_values() -> None:
    assert render("Ça va, {name} ? 👋", name="Zoë 李") == "Ça va, Zoë 李 ? 👋"


@pytest.mark.parametrize(
    "text",
    [
        "{0.__class__}",
        "{first_name.__init__}",
        "{first_name.__init__.__globals__}",
        "{first_name[0]}",
        "{first_name!r}",
        "{first_name:>10}",
        "{{7*7}}",
        "${7*7}",
        "<%= 7*7 %>",
        "#{7*7}",
        "{% if 1 %}x{% endif %}",
        "{}",
    ],
)
def test_injection_attempts_are_inert_literals(text: str) -> None:
    assert render(text, first_name="Ada") == text


def test_double_braces_around_a_name_keep_the_outer_braces() -> None:
    # Documented: no escape syntax, the inner {name} is a placeholder.
    assert render("{{first_name}}", first_name="Ada") == "{Ada}"


def test_dunder_name_is_only_a_binding_key() -> None:
    assert render("{__class__}{__dict__}", first_name="Ada") == ""
    assert render("{__class__}", __class__="x") == "x"


def test_values_are_not_rendered_again() -> None:
    # A value that looks like a placeholder stays as it is.
    assert render("{a}", a="{b}", b="secret") == "{b}"


def test_compiled_text_holds_segments() -> None:
    compiled = CompiledText.compile("Hi {first_name}, {x}{y}!")
    assert compiled.literals == ("Hi ", ", ", "", "!")
    assert compiled.names == ("first_name", "x", "y")
    assert compiled.placeholders == frozenset({"first_name", "x", "y"})
    assert not compiled.is_static
    assert CompiledText.compile("plain").literals == ("plain",)
    assert CompiledText.compile("plain").is_static


def test_render_does_not_parse_again(monkeypatch: pytest.MonkeyPatch) -> None:
    compiled = CompiledText.compile("Hi {first_name}!")

    class Exploding:
        def __getattr__(self, name: str) -> object:
            raise AssertionError("render() used the regular expression")

    monkeypatch.setattr(placeholders, "PLACEHOLDER_PATTERN", Exploding())
    assert compiled.render({"first_name": "Ada"}) == "Hi Ada!"


def test_transform_applies_to_values_only() -> None:
    compiled = CompiledText.compile("<{a}>")
    assert compiled.render({"a": "x"}, str.upper) == "<X>"
