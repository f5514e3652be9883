"""flask_broadcasts.jsonapi.cursor: the opaque ``page[after]`` cursor of keyset pagination.

A client relies on a cursor it got in ``links.next`` leading to the row after the last one it
saw (typed values survive the trip, so the SQL comparison is right), and on a cursor it damaged
or kept across a change of ``sort`` being a 400 naming ``page[after]``, never a 500."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import uuid

import pytest

from flask_broadcasts.errors import BadRequestError
from flask_broadcasts.jsonapi import decode_cursor, encode_cursor


def _raw_cursor(payload: object) -> str:
    # A cursor a client forged: the same encoding, any JSON inside.
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()


def test_typed_values_come_back_with_their_types():
    values = [dt.datetime(2026, 3, 1, 9, 30, 15), dt.date(2026, 3, 1), dt.time(7, 5), decimal.Decimal("1.50")]
    values += [uuid.UUID(int=5), "ann", 7, 2.5, False]
    cursor = encode_cursor("-created_at,name", values)
    # It travels as a query parameter: URL-safe, no padding.
    assert cursor.isascii() and not set(cursor) & set("=+/")
    decoded = decode_cursor(cursor, "-created_at,name", len(values))
    assert decoded == values
    assert [type(v) for v in decoded] == [type(v) for v in values]


@pytest.mark.parametrize(("sort", "count"), [("created_at", 2), ("-created_at", 3)])
def test_a_cursor_of_another_sort_or_shape_is_a_400(sort, count):
    cursor = encode_cursor("-created_at", [dt.datetime(2026, 1, 1), 4])
    with pytest.raises(BadRequestError) as caught:
        decode_cursor(cursor, sort, count)
    assert caught.value.code == 400 and caught.value.parameter == "page[after]"
    assert "another sort" in caught.value.description


@pytest.mark.parametrize(
    "cursor",
    [
        "%%%",
        _raw_cursor([1, 2]),
        _raw_cursor({"s": "name"}),
        _raw_cursor({"s": "name", "k": 5}),
        _raw_cursor({"s": "name", "k": [{"zz": "1"}, 1]}),
        _raw_cursor({"s": "name", "k": [{"dec": "many"}, 1]}),
        _raw_cursor({"s": "name", "k": [{"d": "yesterday"}, 1]}),
        _raw_cursor({"s": "name", "k": [{"d": "2026-01-01", "t": "x"}, 1]}),
        base64.urlsafe_b64encode(b"\xff\xfe").decode(),
    ],
)
def test_a_damaged_cursor_is_a_400_not_a_crash(cursor):
    with pytest.raises(BadRequestError) as caught:
        decode_cursor(cursor, "name", 2)
    assert caught.value.parameter == "page[after]" and "not a valid cursor" in caught.value.description


def test_null_and_unsupported_sort_values_are_refused_when_the_page_is_built():
    # A NULL sort key would make the next page skip rows: refused, not silently encoded.
    with pytest.raises(ValueError, match="NOT NULL"):
        encode_cursor("name", [None, 1])
    with pytest.raises(TypeError, match="bytes"):
        encode_cursor("name", [b"raw", 1])
