"""How an SMS text will be encoded and how many segments it costs.

Rules (3GPP TS 23.038 and TS 23.040):

- A text made only of characters of the GSM 7-bit default alphabet is sent as
  ``GSM-7``: 160 septets fit in one SMS; a longer text is split into segments
  of 153 septets (7 septets go to the concatenation header). Characters of the
  extension table (form feed and ``^{}\\[~]|€``) take two septets (escape +
  character) and are never split across two segments, so a segment may hold
  152 septets.
- Any other character switches the whole text to ``UCS-2``: 70 UTF-16 code
  units in one SMS, 67 per segment when concatenated. Characters outside the
  Basic Multilingual Plane (most emoji) take two code units (a surrogate pair)
  and are not split across segments either.
- An empty text costs 0 segments.

Why our own table rather than a library: the maintained packages on PyPI for
this are either codecs only (``gsm0338``, ``gsmcodecs``: they encode, but do
not count segments), unmaintained for years (``smsutil`` 2020,
``python-messaging`` 2020, ``smspdu`` 2011), or a first 0.0.1 release
(``sms-counter``). The alphabet is a fixed table of 128 + 10 characters from
the standard, short enough to keep here and check in tests. National language
shift tables (Turkish, Portuguese, Indian languages...) are not used: most
gateways do not apply them, so counting them would under-estimate cost.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = [
    "GSM7",
    "GSM7_BASIC",
    "GSM7_EXTENSION",
    "UCS2",
    "SmsInfo",
    "sms_info",
]

GSM7 = "GSM-7"
UCS2 = "UCS-2"

#: The GSM 03.38 default alphabet in code order (0x00-0x7F). Position 0x1B is
#: the escape to the extension table; it is left out of the set below because
#: it is not a character a text can contain on its own.
_GSM7_TABLE = (
    "@£$¥èéùìòÇ\nØø\rÅå"
    "Δ_ΦΓΛΩΠΨΣΘΞ\x1bÆæßÉ"
    " !\"#¤%&'()*+,-./"
    "0123456789:;<=>?"
    "¡ABCDEFGHIJKLMNO"
    "PQRSTUVWXYZÄÖÑÜ§"
    "¿abcdefghijklmno"
    "pqrstuvwxyzäöñüà"
)
GSM7_BASIC: frozenset[str] = frozenset(_GSM7_TABLE) - {"\x1b"}
#: Characters reached through the escape: two septets each.
GSM7_EXTENSION: frozenset[str] = frozenset("\f^{}\\[~]|€")

_GSM7_SINGLE, _GSM7_MULTI = 160, 153
_UCS2_SINGLE, _UCS2_MULTI = 70, 67


@dataclass(frozen=True)
class SmsInfo:
    """Encoding and cost of one SMS text."""

    #: ``"GSM-7"`` or ``"UCS-2"``.
    encoding: str
    #: Number of SMS segments the text is sent as.
    segments: int
    #: Length in septets (GSM-7) or UTF-16 code units (UCS-2).
    units: int


def _char_units(text: str) -> tuple[str, list[int]]:
    """Return the encoding and the unit cost of every character of *text*."""
    if all(ch in GSM7_BASIC or ch in GSM7_EXTENSION for ch in text):
        return GSM7, [2 if ch in GSM7_EXTENSION else 1 for ch in text]
    # A code point above U+FFFF is a surrogate pair in UTF-16.
    return UCS2, [2 if ord(ch) > 0xFFFF else 1 for ch in text]


def _count_segments(costs: list[int], per_segment: int) -> int:
    # Greedy packing: a character that does not fit whole in the current
    # segment starts the next one, as gateways do for escapes and surrogates.
    segments, used = 1, 0
    for cost in costs:
        if used + cost > per_segment:
            segments += 1
            used = 0
        used += cost
    return segments


def sms_info(text: str) -> SmsInfo:
    """Return the encoding, segment count and length of an SMS *text*.

    :param text: the rendered SMS body.
    """
    encoding, costs = _char_units(text)
    units = sum(costs)
    single, multi = (_GSM7_SINGLE, _GSM7_MULTI) if encoding == GSM7 else (_UCS2_SINGLE, _UCS2_MULTI)
    if units == 0:
        segments = 0
    elif units <= single:
        segments = 1
    else:
        segments = _count_segments(costs, multi)
    return SmsInfo(encoding=encoding, segments=segments, units=units)
