"""Helpers shared by the services: error collection, id parsing, tenant-scoped lookups."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from ..errors import BadRequestError, InvalidInputError, NotFoundError
from ..state import get_state

M = TypeVar("M")

ATTRIBUTES = "/data/attributes"
RELATIONSHIPS = "/data/relationships"


def dialect_insert(session: Session) -> Any:
    """``insert`` of the session's dialect, for ``ON CONFLICT`` (PostgreSQL and SQLite spell it alike)."""
    return postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert


def pointer(*segments: str) -> str:
    """A JSON pointer (RFC 6901) under ``/data/attributes`` with each segment escaped."""
    return "/".join([ATTRIBUTES, *(s.replace("~", "~0").replace("/", "~1") for s in segments)])


def raise_problems(invalid: Sequence[InvalidInputError], missing: Sequence[NotFoundError] = ()) -> None:
    """Raise one exception standing for every problem of a request document (nothing when none).

    Invalid values only: 422. References to nothing in the organization only: 404. Both:
    400, the status JSON:API suggests for several 4xx problems, each error object keeping
    its own (``"422"``, ``"404"``).
    """
    errors = [*invalid, *missing]
    if len(errors) == 1:
        raise errors[0]
    if invalid and missing:
        raise BadRequestError.many(errors)
    if missing:
        raise NotFoundError.many(missing)
    if invalid:
        raise InvalidInputError.many(invalid)


def not_found_at(name: str, label: str, object_id: Any) -> NotFoundError:
    """The 404 of relationship ``name`` naming ``object_id``, which is not in the organization."""
    return NotFoundError(
        f"No {label} {object_id} in this organization.", pointer=f"{RELATIONSHIPS}/{name}/data", code="not_found"
    )


class Problems:
    """Collects validation errors so a request hears about all of them at once."""

    def __init__(self) -> None:
        self._errors: list[InvalidInputError] = []
        self._missing: list[NotFoundError] = []

    def add(self, detail: str, pointer: str, code: str) -> None:
        """Collect one 422 error (``pointer`` is its JSON pointer into the request body)."""
        self._errors.append(InvalidInputError(detail, pointer=pointer, code=code))

    def missing(self, error: NotFoundError) -> None:
        """Collect one 404: a relationship naming nothing in the organization (:func:`not_found_at`)."""
        self._missing.append(error)

    def __bool__(self) -> bool:
        return bool(self._errors)

    def __iter__(self) -> Iterator[InvalidInputError]:
        return iter(self._errors)

    def raise_if_any(self) -> None:
        """Raise one exception standing for every collected error (:func:`raise_problems`)."""
        raise_problems(self._errors, self._missing)


def parse_id(value: Any) -> int | None:
    """Our integer primary key from a URL or resource identifier, or ``None``."""
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 18:
        return int(value)
    return None


def get_scoped(model: type[M], organization_id: str, object_id: Any, label: str, *options: Any) -> M:
    """Row ``object_id`` of ``model`` in the organization, else :class:`NotFoundError`.

    Another organization's row answers exactly like a missing one (never 403), so ids
    of other tenants cannot be probed. ``options``: loader options of the query.
    """
    pk = parse_id(object_id)
    obj = None
    if pk is not None:
        columns: Any = model  # every tenant-scoped model has ``id`` and ``organization_id`` columns
        stmt = select(model).where(columns.id == pk, columns.organization_id == str(organization_id))
        obj = get_state().session.scalar(stmt.options(*options))
    if obj is None:
        raise NotFoundError(f"No {label} {object_id} in this organization.", code="not_found")
    return obj


def contains(column: Any, term: str) -> Any:
    """Case-insensitive substring match with LIKE wildcards escaped ("50%" is literal)."""
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return column.ilike(f"%{escaped}%", escape="\\")
