"""Apply ``sort`` and ``page[...]`` to a SQLAlchemy ``Select`` and run it.

Offset pagination (``page[number]``) runs one COUNT for ``meta.total`` and the
``last`` link; it is meant for small collections. Cursor pagination
(``page[after]``) seeks past the last row's (sort key..., id) and reads
``size + 1`` rows to know whether a next page exists: no OFFSET and no COUNT,
so its cost does not grow with the collection (100,000 messages and more).
Filters are the resource's job: pass a ``Select`` already filtered.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import request
from sqlalchemy.orm import Session
from werkzeug.urls import iri_to_uri

from ..errors import BadRequestError
from .cursor import decode_cursor, encode_cursor
from .query import CollectionQuery

__all__ = ["Page", "apply_sort", "paginate"]


@dataclass(frozen=True)
class Page:
    """One page of primary objects, with its pagination links and meta."""

    items: Sequence[Any]
    links: dict[str, str | None] = field(default_factory=dict)
    meta: dict[str, Any] = field(default_factory=dict)


def url_with_args(pairs: Sequence[tuple[str, str]]) -> str:
    """The current path with ``pairs`` as its query string, percent-encoded as RFC 3986 wants.

    Brackets (``filter[status]``) are gen-delims and must be encoded in a URI; clients
    decode them back, and the links validate as ``uri`` in the JSON:API schema.
    """
    query = urlencode(pairs, safe=",")
    # The path may hold non-ASCII (an IRI): a links member must be a URI.
    base = iri_to_uri(request.base_url)
    return f"{base}?{query}" if query else base


def request_url() -> str:
    """The current request's URL, encoded like every other link (the ``self`` link)."""
    return url_with_args(list(request.args.items(multi=True)))


def _page_url(**page: Any) -> str:
    """The current URL with its ``page[...]`` parameters replaced by ``page``."""
    pairs = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]
    pairs += [(f"page[{k}]", str(v)) for k, v in page.items() if v is not None]
    return url_with_args(pairs)


def _id_column(select: sa.Select[Any], query: CollectionQuery) -> Any:
    spec_column = getattr(query.spec, "id_column", None)
    if spec_column is not None:
        return spec_column
    entity = select.column_descriptions[0]["entity"]
    (column,) = sa.inspect(entity).primary_key  # composite keys need id_column
    return column


def _sort_columns(select: sa.Select[Any], query: CollectionQuery) -> list[tuple[Any, bool]]:
    sorts = query.spec.sorts  # type: ignore[attr-defined]
    columns = [(sorts[key.name], key.descending) for key in query.sort]
    return [*columns, (_id_column(select, query), False)]


def apply_sort(select: sa.Select[Any], query: CollectionQuery) -> sa.Select[Any]:
    """Order ``select`` by the query's sort keys, then by id for a stable order."""
    return select.order_by(*(c.desc() if desc else c.asc() for c, desc in _sort_columns(select, query)))


def _offset_page(session: Session, select: sa.Select[Any], query: CollectionQuery) -> Page:
    size, number = query.page.size, query.page.number
    total = session.scalar(sa.select(sa.func.count()).select_from(select.order_by(None).subquery()))
    items = session.scalars(apply_sort(select, query).limit(size).offset((number - 1) * size)).all()
    last = max(1, math.ceil((total or 0) / size))
    sized = {"size": size} if "page[size]" in request.args else {}
    return Page(
        items=items,
        links={
            "self": _page_url(number=number, **sized),
            "first": _page_url(number=1, **sized),
            "prev": _page_url(number=min(number - 1, last), **sized) if number > 1 else None,
            "next": _page_url(number=number + 1, **sized) if number < last else None,
            "last": _page_url(number=last, **sized),
        },
        meta={"total": total},
    )


def _keyset_condition(columns: list[tuple[Any, bool]], values: list[Any]) -> Any:
    """Rows strictly after ``values`` in the order (k1, ..., id), any directions.

    All in one direction: a row-value comparison ``(k1, ..., id) > (v1, ..., vn)``,
    which PostgreSQL turns into an index range (the ``OR`` form below filters every
    row of the campaign: a deep page of 100,000 messages took 28 ms instead of 1.4 ms).
    """
    directions = {desc for _, desc in columns}
    if len(columns) > 1 and len(directions) == 1 and all(v is not None for v in values):
        left = sa.tuple_(*(column for column, _ in columns))
        right = sa.tuple_(*(sa.literal(v, type_=column.type) for (column, _), v in zip(columns, values, strict=True)))
        return left < right if directions == {True} else left > right
    clauses = []
    for i, (column, desc) in enumerate(columns):
        equal = [c == v for (c, _), v in zip(columns[:i], values[:i], strict=True)]
        clauses.append(sa.and_(*equal, column < values[i] if desc else column > values[i]))
    return sa.or_(*clauses)


def _python_type(sql_type: Any) -> type | None:
    """The Python type of a column type, looking through a ``TypeDecorator``."""
    for candidate in (sql_type, getattr(sql_type, "impl", None)):
        try:
            python_type = candidate.python_type  # type: ignore[union-attr]
        except (AttributeError, NotImplementedError):
            continue
        if python_type is not object:  # a TypeDecorator says object; its impl knows
            return python_type
    return None


def _check_cursor_types(columns: list[tuple[Any, bool]], values: list[Any]) -> None:
    """A cursor is not signed: a forged one may carry a string where a timestamp goes,
    which the database refuses (a 500 on PostgreSQL). Each value must have its column's
    Python type (bool is not an int) and an int must fit a BIGINT."""
    for (column, _), value in zip(columns, values, strict=True):
        expected = _python_type(column.type)
        if expected is None:
            continue
        if isinstance(value, bool) and expected is not bool:
            raise BadRequestError("page[after] is not a valid cursor.", parameter="page[after]")
        if not isinstance(value, expected) or (isinstance(value, int) and not -(2**63) <= value < 2**63):
            raise BadRequestError("page[after] is not a valid cursor.", parameter="page[after]")
        timezone = getattr(getattr(column.type, "impl", column.type), "timezone", False)
        if isinstance(value, datetime) and timezone and value.tzinfo is None:
            raise BadRequestError("page[after] is not a valid cursor.", parameter="page[after]")


def _cursor_page(session: Session, select: sa.Select[Any], query: CollectionQuery) -> Page:
    size = query.page.size
    sort = ",".join(map(str, query.sort))
    columns = _sort_columns(select, query)
    stmt = apply_sort(select, query)
    if query.page.after is not None:
        values = decode_cursor(query.page.after, sort, len(columns))
        _check_cursor_types(columns, values)
        stmt = stmt.where(_keyset_condition(columns, values))
    # The key values come back as extra columns so any SQL expression can be a
    # sort key, not only a mapped attribute.
    stmt = stmt.add_columns(*(c.label(f"_key{i}") for i, (c, _) in enumerate(columns)))
    rows = session.execute(stmt.limit(size + 1)).all()
    has_next = len(rows) > size
    rows = rows[:size]
    sized = {"size": size} if "page[size]" in request.args else {}
    next_url = None
    if has_next:
        next_url = _page_url(after=encode_cursor(sort, list(rows[-1][1:])), **sized)
    return Page(
        items=[row[0] for row in rows],
        links={
            "self": _page_url(after=query.page.after, **sized),
            "first": _page_url(**sized),
            "next": next_url,
        },
    )


def paginate(session: Session, select: sa.Select[Any], query: CollectionQuery) -> Page:
    """Sort and paginate ``select`` (one ORM entity) as ``query`` asks, and run it.

    :param session: the session to execute through.
    :param select: e.g. ``sa.select(Template).where(Template.org_id == org)``.
    :param query: from :meth:`~.JsonApiBlueprint.jsonapi_collection`.
    :returns: the page, its ``links`` and (offset pagination) ``meta.total``.
    """
    if query.spec.pagination == "cursor":  # type: ignore[attr-defined]
        return _cursor_page(session, select, query)
    return _offset_page(session, select, query)
