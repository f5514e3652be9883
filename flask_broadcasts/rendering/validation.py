"""Checks of a template's texts before it is stored: placeholders, locale keys, the action URL.

Pure, like the rest of :mod:`flask_broadcasts.rendering`: the services turn each problem
into a JSON:API error at its attribute and key.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

from .engine import TEXT_FIELDS, TemplateContent
from .locale import normalize_locale_tag
from .placeholders import find_placeholders

__all__ = ["PlaceholderProblem", "is_safe_action_url", "validate_i18n_keys", "validate_placeholders"]


class PlaceholderProblem(NamedTuple):
    """A placeholder name that is not allowed, and where it was found."""

    #: Attribute name: ``subject``, ``subject_i18n``, ``action_url``...
    field: str
    #: The key in the ``*_i18n`` mapping, ``None`` for a plain field.
    locale: str | None
    #: The unknown placeholder name.
    name: str


def _texts(content: TemplateContent) -> list[tuple[str, str | None, str]]:
    """Every text of *content* as ``(attribute, i18n key or None, text)``."""
    texts: list[tuple[str, str | None, str]] = []
    for name in TEXT_FIELDS:
        texts.append((name, None, getattr(content, name)))
        for key, text in getattr(content, f"{name}_i18n").items():
            texts.append((f"{name}_i18n", key, text))
    texts.append(("action_url", None, content.action_url))
    return texts


def validate_placeholders(content: TemplateContent, allowed: set[str] | frozenset[str]) -> list[PlaceholderProblem]:
    """List the placeholder names of *content* that are not in *allowed*.

    Every plain field and every localized variant is checked, so the HTTP
    layer can point at the attribute (``subject_i18n``) and key (``fr``).

    :param content: the template content.
    :param allowed: the names the binding type provides.
    :return: problems in field order, then key order, then name order; empty
        when everything is allowed.
    """
    problems: list[PlaceholderProblem] = []
    for attribute, key, text in _texts(content):
        for name in sorted(find_placeholders(text) - set(allowed)):
            problems.append(PlaceholderProblem(attribute, key, name))
    return problems


def validate_i18n_keys(content: TemplateContent) -> list[tuple[str, str]]:
    """List the ``*_i18n`` keys of *content* that :meth:`CompiledTemplate.compile`
    would refuse: not a known locale, or the same locale as an earlier key.

    :return: ``(attribute, key)`` pairs, e.g. ``("body_i18n", "xx")``.
    """
    problems: list[tuple[str, str]] = []
    for name in TEXT_FIELDS:
        attribute = f"{name}_i18n"
        seen: set[str] = set()
        for key in getattr(content, attribute):
            try:
                tag = normalize_locale_tag(key)
            except ValueError:
                problems.append((attribute, key))
                continue
            if tag in seen:
                problems.append((attribute, key))
            seen.add(tag)
    return problems


def is_safe_action_url(url: str) -> bool:
    """Whether a template's ``action_url`` is an ``http``/``https`` URL with a host.

    Placeholders may appear in the path, query and fragment, but not in the
    scheme or the host (``https://{domain}/`` is refused), and user info
    (``https://bank.example@evil.example``) is refused because a call-to-action
    has no use for it. Whitespace, control characters and backslashes, which
    browsers "repair" in surprising ways, are refused too.

    :param url: the template's URL, placeholders not yet substituted.
    """
    if not url or any(ch.isspace() or ord(ch) < 0x20 or ch in "\\\x7f" for ch in url):
        return False
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError for a malformed port
    except ValueError:
        return False
    if parts.scheme.lower() not in ("http", "https"):
        return False
    if not parts.hostname or "@" in parts.netloc:
        return False
    # Braces cannot be part of a host name; this also catches placeholders.
    return "{" not in parts.netloc and "}" not in parts.netloc
