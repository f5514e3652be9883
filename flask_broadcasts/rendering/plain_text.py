"""The plain-text alternative of an HTML mail body, converted once per template variant.

:func:`html_to_text` turns a rendered HTML body into readable text: a few regular
expressions over the whole body. For a 30 KB newsletter that is about three quarters of
the cost of building the e-mail, paid again for every recipient although only the
placeholders' values differ between them.

:class:`PlainTextAlternative` converts the *template* once instead: each placeholder
becomes a marker the conversion carries through untouched (or removes with the tag it
sits in), and the result is split at the markers into literals again. Per recipient
only the values are joined in — raw, since ``html.unescape(escape(value))`` is the value.

That gives exactly what :func:`html_to_text` gives for the rendered body as long as no
value could interact with the text around it (the conversion collapses runs of spaces,
strips lines and drops blank ones); :meth:`PlainTextAlternative.render` answers ``None``
for a value that could (empty, a line break or tab, a double space, space at either end),
and the caller converts that one body in full. A template whose literal text could join
a value into an HTML entity (``&am{x}``, ``&am<p>{x}``), that has a placeholder in a
tag's name, or that holds a marker character is never compiled
(:meth:`PlainTextAlternative.compile` returns ``None``).
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping
from dataclasses import dataclass

from .placeholders import CompiledText, coerce_value

__all__ = ["PlainTextAlternative", "html_to_text"]

_HIDDEN = re.compile(r"<(script|style|head)\b.*?</\1\s*>", re.I | re.S)
_BREAKS = re.compile(r"<\s*(br|/p|/div|/h[1-6]|/li|/tr|/table|hr)\b[^>]*>", re.I)
_TAGS = re.compile(r"<[^>]*>")
_BLANK_LINES = re.compile(r"\n\s*\n\s*\n+")
_SPACES = re.compile(r"[ \t]+")


def html_to_text(body: str) -> str:
    """A readable plain-text alternative of an HTML body."""
    return _as_text(_without_markup(body))


def _without_markup(body: str) -> str:
    # Hidden blocks out, breaking tags into line breaks, every other tag out: still HTML
    # text, its entities not yet decoded.
    return _TAGS.sub("", _BREAKS.sub("\n", _HIDDEN.sub("", body)))


def _as_text(markup_free: str) -> str:
    text = html.unescape(markup_free)
    lines = (_SPACES.sub(" ", line).strip() for line in text.replace("\r", "").split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


#: Markers stand in for placeholders during the conversion: NUL never survives into a
#: rendered body's text (a template holding one is not compiled), and no step of the
#: conversion matches it.
_MARK = "\x00"
_MARKER = re.compile(_MARK + r"(\d+)" + _MARK)
# Text that ends inside what may be the start of an entity: the value after it could
# complete the entity, which the per-message conversion would then decode.
_OPEN_ENTITY = re.compile(r"&[^\t\n\f <&;]*\Z")
# A placeholder in a tag's name (``<b{x}>`` with ``r``, ``</{x}>``) could make it a
# breaking or a hidden one, which the conversion ahead cannot know.
_IN_TAG_NAME = re.compile(r"<\s*/?[^\s>]*" + _MARK)
# A value is joined in as is only if the conversion would leave it and its neighbours alone.
_UNSAFE_VALUE = re.compile(r"[\n\r\t\x00]|  ")


def _joins_safely(value: str) -> bool:
    return bool(value) and not value[0].isspace() and not value[-1].isspace() and not _UNSAFE_VALUE.search(value)


@dataclass(frozen=True)
class PlainTextAlternative:
    """:func:`html_to_text` of a compiled HTML body, done once: literals and placeholder names."""

    literals: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def compile(cls, body: CompiledText) -> PlainTextAlternative | None:
        """The text alternative of ``body``, or ``None`` when its text cannot be converted ahead."""
        if any(_MARK in literal for literal in body.literals):
            return None
        marked = body.literals[0] + "".join(
            f"{_MARK}{index}{_MARK}{body.literals[index + 1]}" for index in range(len(body.names))
        )
        if _IN_TAG_NAME.search(marked):
            return None
        markup_free = _without_markup(marked)
        # Checked once the tags are gone: ``&am<p>{x}`` is ``&am`` then the value.
        if any(_OPEN_ENTITY.search(text) for text in _MARKER.split(markup_free)[0:-1:2]):
            return None
        parts = _MARKER.split(_as_text(markup_free))
        # split() alternates literal, index, literal...; a marker the conversion removed
        # (a placeholder inside a tag) is simply absent.
        return cls(literals=tuple(parts[0::2]), names=tuple(body.names[int(i)] for i in parts[1::2]))

    def render(self, bindings: Mapping[str, object]) -> str | None:
        """The text alternative for ``bindings`` (the values unescaped, as the HTML body shows them),
        or ``None`` when a value could change the text around it: then convert the rendered body."""
        out = [self.literals[0]]
        for index, name in enumerate(self.names):
            value = coerce_value(bindings.get(name))
            if not _joins_safely(value):
                return None
            out.append(value)
            out.append(self.literals[index + 1])
        return "".join(out)
