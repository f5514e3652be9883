"""Subjects that exercise header encoding: ASCII, Latin with an emoji, CJK, one too long for a line."""

from __future__ import annotations

SUBJECTS = [
    "Hello Ann",
    "Héllo Zoë — your booking on 12 März is confirmed 🎉 " * 3,
    "日本語の件名です" * 12,
    "long ascii " * 100,
]
