"""Paged collection responses, shared by the list views."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response
from sqlalchemy import Select, func, select

from ..extensions import db
from .jsonapi import document, page_links, page_parameters, reject_unsupported_parameters


def paginated(stmt: Select, serialize: Callable[[Any], dict[str, Any]]) -> Response:
    """One page of ``stmt`` (already filtered and ordered) as a collection document."""
    reject_unsupported_parameters()
    number, size = page_parameters()
    total = db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.scalars(stmt.limit(size).offset((number - 1) * size)).all()
    return document(
        {
            "data": [serialize(row) for row in rows],
            "meta": {"total": total},
            "links": page_links(number, size, total or 0),
        }
    )
