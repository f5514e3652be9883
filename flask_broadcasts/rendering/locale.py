"""Locale tags of recipients and of localized template texts.

Tags are compared in one canonical form, ``language[-Script][-TERRITORY][-VARIANT]``
(e.g. ``fr-CA``, ``zh-Hant-TW``), produced by :func:`normalize_locale_tag`.
Babel's :meth:`babel.Locale.parse` decides what is a real locale, so ``xx`` or
``fr-XX`` are refused, and it also canonicalizes legacy aliases: ``iw`` becomes
``he-IL``, ``zh-TW`` becomes ``zh-Hant-TW``. Because template keys and
recipient locales go through the same function, such aliases still match.

The choice rule (:func:`choose_locale`) is the "lookup" of RFC 4647: the
requested tag, then the tag with its last subtag removed, and so on down to the
bare language (``zh-Hant-TW`` → ``zh-Hant`` → ``zh``). If nothing matches the
answer is ``None`` and the caller uses the template's default text. A more
specific variant is never chosen for a less specific request (``fr`` does not
pick ``fr-CA``): the default text is the author's stated fallback.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable

from babel import Locale, UnknownLocaleError

__all__ = ["choose_locale", "lookup_chain", "normalize_locale_tag"]

# A cheap syntax gate before Babel: letters, digits and - or _ separators only.
# It keeps POSIX extras such as "de_DE.UTF-8" or "de_DE@euro" out, which Babel
# would otherwise accept but which are not BCP 47 tags.
_TAG_SYNTAX = re.compile(r"[A-Za-z]{2,8}(?:[-_][A-Za-z0-9]{1,8})*")

# Babel answers these with a real locale (``und`` becomes ``en_US``), which would
# silently turn "no language" into English.
_NOT_A_LANGUAGE = frozenset({"und", "root"})


@functools.lru_cache(maxsize=1024)
def normalize_locale_tag(tag: str) -> str:
    """Return the canonical form of a locale tag.

    ``fr_CA``, ``fr-ca`` and ``FR-CA`` all give ``fr-CA``. Only locales known
    to Babel (CLDR) pass.

    :param tag: a BCP 47 style tag, ``-`` or ``_`` separated, any case.
    :raises ValueError: if *tag* is not a known locale.
    """
    # Results are cached: the engine normalizes the locale of every recipient
    # and Babel's parse is comparatively slow.
    if not isinstance(tag, str) or not _TAG_SYNTAX.fullmatch(tag.strip()):
        raise ValueError(f"{tag!r} is not a locale tag")
    cleaned = tag.strip().replace("-", "_")
    if cleaned.lower() in _NOT_A_LANGUAGE:
        raise ValueError(f"{tag!r} does not name a language")
    try:
        locale = Locale.parse(cleaned, sep="_")
    except (UnknownLocaleError, ValueError) as exc:
        raise ValueError(f"{tag!r} is not a known locale") from exc
    parts = [locale.language, locale.script, locale.territory, locale.variant]
    return "-".join(part for part in parts if part)


@functools.lru_cache(maxsize=1024)  # asked once per recipient, for a handful of locales
def lookup_chain(tag: str) -> tuple[str, ...]:
    """Return the tags to try for *tag*, most specific first.

    :param tag: a canonical tag (from :func:`normalize_locale_tag`).
    :return: e.g. ``("zh-Hant-TW", "zh-Hant", "zh")``.
    """
    subtags = tag.split("-")
    return tuple("-".join(subtags[:end]) for end in range(len(subtags), 0, -1))


def choose_locale(requested: str | None, available: Iterable[str]) -> str | None:
    """Pick the best of *available* for a recipient whose locale is *requested*.

    Matching is case-insensitive and treats ``_`` and ``-`` alike: the exact
    tag wins, then its shorter forms down to the language (``fr-CA`` → ``fr``).

    :param requested: the recipient's locale; ``None``, empty or invalid
        means "no preference" and gives ``None`` (a bad locale on one customer
        must not stop a campaign).
    :param available: the keys of a localized text mapping. Keys that are not
        valid tags are ignored.
    :return: the matching key **as spelled in** *available* (so the caller can
        index its mapping with it), or ``None`` to use the default text.
    """
    if not requested:
        return None
    try:
        wanted = normalize_locale_tag(requested)
    except ValueError:
        return None
    by_tag: dict[str, str] = {}
    for key in available:
        try:
            # setdefault: if two keys normalize alike, the first one wins.
            by_tag.setdefault(normalize_locale_tag(key), key)
        except ValueError:
            continue
    for candidate in lookup_chain(wanted):
        if candidate in by_tag:
            return by_tag[candidate]
    return None
