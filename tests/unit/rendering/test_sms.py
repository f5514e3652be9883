from __future__ import annotations

import pytest

from flask_broadcasts.rendering.sms import (
    _GSM7_TABLE,
    GSM7,
    GSM7_BASIC,
    GSM7_EXTENSION,
    UCS2,
    sms_info,
)


def test_alphabet_tables() -> None:
    assert len(_GSM7_TABLE) == 128
    assert len(GSM7_BASIC) == 127  # the escape is not a character of its own
    assert set("\f^{}\\[~]|€") == GSM7_EXTENSION
    assert not GSM7_BASIC & GSM7_EXTENSION


def test_empty_text() -> None:
    info = sms_info("")
    assert (info.encoding, info.segments, info.units) == (GSM7, 0, 0)


@pytest.mark.parametrize(
    ("length", "segments"),
    [(1, 1), (160, 1), (161, 2), (306, 2), (307, 3), (459, 3), (460, 4)],
)
def test_gsm7_boundaries(length: int, segments: int) -> None:
    info = sms_info("a" * length)
    assert (info.encoding, info.segments, info.units) == (GSM7, segments, length)


def test_gsm7_accented_basic_characters() -> None:
    info = sms_info("éèùìòÇÅåÄÖÑÜäöñüàß£$¥@Δ_ΦΓΛΩΠΨΣΘΞ¤§¿¡\n\r")
    assert info.encoding == GSM7


@pytest.mark.parametrize("char", sorted(GSM7_EXTENSION))
def test_extension_characters_count_two(char: str) -> None:
    info = sms_info(char)
    assert (info.encoding, info.units) == (GSM7, 2)


def test_extension_characters_at_the_single_limit() -> None:
    assert sms_info("a" * 158 + "€").segments == 1  # 160 septets
    assert sms_info("a" * 159 + "€").segments == 2  # 161 septets


def test_extension_character_is_not_split_across_segments() -> None:
    # 306 septets would fill exactly two segments of 153 if "€" could straddle
    # the boundary; it cannot, so segment one holds 152 and a third is needed.
    info = sms_info("a" * 152 + "€" + "a" * 152)
    assert info.units == 306
    assert info.segments == 3
    assert sms_info("a" * 151 + "€" + "a" * 153).segments == 2  # 153 | 153


def test_ucs2_boundaries() -> None:
    info = sms_info("ç" * 70)  # ç (lower case) is not in GSM 03.38
    assert (info.encoding, info.segments, info.units) == (UCS2, 1, 70)
    assert sms_info("ç" * 71).segments == 2
    assert sms_info("ç" * 134).segments == 2
    assert sms_info("ç" * 135).segments == 3


def test_one_non_gsm_character_switches_everything_to_ucs2() -> None:
    info = sms_info("a" * 100 + "Ж")
    assert (info.encoding, info.segments, info.units) == (UCS2, 2, 101)


def test_extension_characters_count_one_in_ucs2() -> None:
    assert sms_info("€ Ж").units == 3


def test_emoji_counts_two_code_units() -> None:
    info = sms_info("👋")
    assert (info.encoding, info.units, info.segments) == (UCS2, 2, 1)
    assert sms_info("👋" * 35).segments == 1  # 70 units
    assert sms_info("a" + "👋" * 35).segments == 2  # 71 units


def test_emoji_is_not_split_across_segments() -> None:
    # 134 units would fill two segments of 67 if the surrogate pair could
    # straddle the boundary; it cannot.
    assert sms_info("a" * 66 + "👋" + "a" * 66).segments == 3
    assert sms_info("a" * 65 + "👋" + "a" * 67).segments == 2
