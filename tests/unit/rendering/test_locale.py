from __future__ import annotations

import pytest

from flask_broadcasts.rendering.locale import choose_locale, lookup_chain, normalize_locale_tag


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("fr-CA", "fr-CA"),
        ("fr_CA", "fr-CA"),
        ("FR-ca", "fr-CA"),
        ("fr", "fr"),
        (" en ", "en"),
        ("zh-Hant-TW", "zh-Hant-TW"),
        ("zh_hant_tw", "zh-Hant-TW"),
        ("es-419", "es-419"),
    ],
)
def test_normalize_locale_tag(tag: str, expected: str) -> None:
    assert normalize_locale_tag(tag) == expected


@pytest.mark.parametrize(
    "tag",
    [
        "",
        "xx",
        "fr-XX",
        "fr_CA_junk",
        "de_DE@euro",
        "de_DE.UTF-8",
        "en US",
        "und",
        "root",
        "1",
        "f",
    ],
)
def test_normalize_locale_tag_rejects_junk(tag: str) -> None:
    with pytest.raises(ValueError):
        normalize_locale_tag(tag)


def test_lookup_chain() -> None:
    assert lookup_chain("zh-Hant-TW") == ("zh-Hant-TW", "zh-Hant", "zh")
    assert lookup_chain("fr") == ("fr",)


def test_choose_exact() -> None:
    assert choose_locale("fr-CA", ["fr", "fr-CA", "en"]) == "fr-CA"


def test_choose_language_when_no_exact() -> None:
    assert choose_locale("fr-CA", ["fr", "en"]) == "fr"


def test_choose_none_means_default_text() -> None:
    assert choose_locale("de-DE", ["fr", "en"]) is None
    assert choose_locale(None, ["fr"]) is None
    assert choose_locale("", ["fr"]) is None
    assert choose_locale("fr", []) is None


def test_less_specific_request_does_not_pick_a_region() -> None:
    assert choose_locale("fr", ["fr-CA"]) is None


def test_underscore_dash_and_case_tolerant_returns_key_as_given() -> None:
    assert choose_locale("fr_ca", ["FR-CA"]) == "FR-CA"
    assert choose_locale("FR-CA", ["fr_CA"]) == "fr_CA"
    assert choose_locale("fr-ca", ["FR"]) == "FR"


def test_invalid_request_or_keys_are_ignored() -> None:
    assert choose_locale("klingon!!", ["fr"]) is None
    assert choose_locale("fr", ["not a locale", "fr"]) == "fr"
