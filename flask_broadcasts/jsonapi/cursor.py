"""Opaque keyset cursors for ``page[after]``.

A cursor is URL-safe base64 (no padding) of a compact JSON object: the sort it
was issued for (``"s"``, e.g. ``"-created_at"``) and the last row's sort key
values followed by its id (``"k"``). Values JSON cannot carry (datetimes,
dates, decimals, UUIDs) are tagged so they decode to the same Python type and
compare correctly in SQL. The cursor is not signed: tampering with it can only
move the client's own position in a list it may read anyway.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import json
import uuid
from collections.abc import Sequence
from typing import Any

from ..errors import BadRequestError

__all__ = ["decode_cursor", "encode_cursor"]

_PARAMETER = "page[after]"

_TAGS: dict[str, tuple[type, Any]] = {
    # tag: (python type, decoder); datetime is checked before its parent date.
    "dt": (dt.datetime, dt.datetime.fromisoformat),
    "d": (dt.date, dt.date.fromisoformat),
    "t": (dt.time, dt.time.fromisoformat),
    "dec": (decimal.Decimal, decimal.Decimal),
    "uuid": (uuid.UUID, uuid.UUID),
}


def _encode_value(value: Any) -> Any:
    if value is None:
        # NULL never compares equal or greater in SQL, so rows would be skipped.
        raise ValueError("keyset pagination needs NOT NULL sort expressions")
    for tag, (python_type, _) in _TAGS.items():
        if isinstance(value, python_type):
            return {tag: value.isoformat() if hasattr(value, "isoformat") else str(value)}
    if isinstance(value, (str, int, float, bool)):
        return value
    raise TypeError(f"cannot put a {type(value).__name__} in a cursor")


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict):
        ((tag, raw),) = value.items()
        return _TAGS[tag][1](raw)
    return value


def encode_cursor(sort: str, values: Sequence[Any]) -> str:
    """Encode the position after a row.

    :param sort: the normalized ``sort`` the page was read with.
    :param values: the row's sort key values, then its id.
    """
    payload = json.dumps({"s": sort, "k": [_encode_value(v) for v in values]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).rstrip(b"=").decode()


def decode_cursor(cursor: str, sort: str, count: int) -> list[Any]:
    """Decode a cursor issued for ``sort`` holding ``count`` values.

    :raises BadRequestError: for a malformed cursor or one issued for another sort.
    """
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
        values = [_decode_value(v) for v in payload["k"]]
        issued_for = payload["s"]
    except (binascii.Error, ValueError, KeyError, TypeError, AttributeError, decimal.InvalidOperation) as err:
        raise BadRequestError("page[after] is not a valid cursor.", parameter=_PARAMETER) from err
    if issued_for != sort or len(values) != count:
        raise BadRequestError(
            "page[after] was issued for another sort; start again from the first page.",
            parameter=_PARAMETER,
        )
    return values
