"""What a resource declares: its schema, includes, sorts, filters, pagination.

A resource module builds one spec at import time; the blueprint decorators
parse each request against it and document it in OpenAPI. Declarations are
checked when the spec is built, so a typo fails at import, not per request.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import marshmallow as ma
from marshmallow_jsonapi import Schema
from marshmallow_jsonapi.fields import BaseRelationship

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "CollectionSpec",
    "ExternalInclude",
    "ResourceSpec",
    "known_members",
    "relationship_fields",
]

#: ``page[size]`` when the client sends none.
DEFAULT_PAGE_SIZE = 25
#: Largest ``page[size]`` accepted unless a spec says otherwise.
MAX_PAGE_SIZE = 100

#: Resolves an include that is not a relationship of our schema (e.g. a host's
#: ``customers``). Given the primary objects, returns for each object's id (as
#: a string) the related JSON:API resource object, a list of them, or ``None``.
ExternalInclude = Callable[[Sequence[Any]], Mapping[str, Any]]


def relationship_fields(schema: type[Schema] | Schema) -> dict[str, BaseRelationship]:
    """Relationship fields of a marshmallow-jsonapi schema, by wire name."""
    instance = schema() if isinstance(schema, type) else schema
    return {(f.data_key or name): f for name, f in instance.fields.items() if isinstance(f, BaseRelationship)}


def _walk_schema_path(schema: type[Schema], path: str) -> bool:
    """Whether every segment of a dotted path is a relationship with a schema."""
    current: Any = schema
    for segment in path.split("."):
        rel = relationship_fields(current).get(segment)
        if rel is None:
            return False
        try:
            current = rel.schema
        except ValueError:  # a Relationship declared without schema=
            return False
    return True


@dataclass(frozen=True)
class ResourceSpec:
    """Declaration for the endpoints of one resource type.

    :param schema: the marshmallow-jsonapi schema.
    :param includes: dotted include paths clients may ask for
        (``{"template", "template.files"}``); the prefixes of a path are
        allowed too. Each must be a chain of schema relationships (with
        ``schema=``) or a key of ``external_includes``.
    :param external_includes: includes rendered from resource objects the
        resource computes itself (see :data:`ExternalInclude`).
    """

    schema: type[Schema]
    includes: frozenset[str] | set[str] = frozenset()
    external_includes: Mapping[str, ExternalInclude] = field(default_factory=dict)

    def __post_init__(self) -> None:
        declared = set(self.includes) | set(self.external_includes)
        allowed: set[str] = set()
        for path in declared:
            segments = path.split(".")
            allowed.update(".".join(segments[: i + 1]) for i in range(len(segments)))
        for path in allowed:
            if path not in self.external_includes and not _walk_schema_path(self.schema, path):
                raise ValueError(
                    f"{self.schema.__name__}: include {path!r} is neither a schema "
                    "relationship (with schema=) nor an external include"
                )
        object.__setattr__(self, "includes", frozenset(allowed))

    @property
    def type_(self) -> str:
        """The JSON:API ``type`` of the resource."""
        return self.schema.opts.type_


@dataclass(frozen=True)
class CollectionSpec(ResourceSpec):
    """Declaration for a collection endpoint.

    :param sorts: sort field name -> SQL expression (``{"name": Template.name}``).
    :param default_sort: applied when the client sends no ``sort``
        (``"-created_at"``); the id always breaks ties.
    :param filters: marshmallow schema validating ``filter[...]`` values; its
        field names (or ``data_key``) are the accepted filter names.
    :param pagination: ``"offset"`` (``page[number]``, ``meta.total`` from a
        COUNT) for small collections, ``"cursor"`` (``page[after]``, keyset,
        no COUNT) for collections that may grow large. Cursor sort expressions
        must be NOT NULL.
    :param page_size: default ``page[size]``.
    :param max_page_size: largest ``page[size]`` accepted (400 above).
    :param id_column: column breaking ties; by default the primary key of the
        selected entity.
    """

    sorts: Mapping[str, Any] = field(default_factory=dict)
    default_sort: str = ""
    filters: type[ma.Schema] | None = None
    pagination: Literal["offset", "cursor"] = "offset"
    page_size: int = DEFAULT_PAGE_SIZE
    max_page_size: int = MAX_PAGE_SIZE
    id_column: Any = None

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.pagination not in ("offset", "cursor"):
            raise ValueError(f"pagination must be 'offset' or 'cursor', not {self.pagination!r}")
        if not 1 <= self.page_size <= self.max_page_size:
            raise ValueError("page_size must be between 1 and max_page_size")
        for name in filter(None, self.default_sort.split(",")):
            if name.lstrip("-") not in self.sorts:
                raise ValueError(f"default_sort {name!r} is not in sorts")


def known_members(spec: ResourceSpec) -> dict[str, set[str]]:
    """Member names of every type reachable through the spec's schema includes."""
    known: dict[str, set[str]] = {}
    pending: list[Any] = [spec.schema]
    while pending:
        schema = pending.pop()
        instance = schema() if isinstance(schema, type) else schema
        if instance.opts.type_ in known:
            continue
        known[instance.opts.type_] = {f.data_key or name for name, f in instance.fields.items() if name != "id"}
        for rel in relationship_fields(instance).values():
            try:
                pending.append(rel.schema)
            except ValueError:
                continue
    return known
