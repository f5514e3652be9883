"""Parse JSON:API query parameters against a resource's spec.

``include``, ``fields[type]``, ``sort``, ``filter[name]`` and ``page[...]``
become a typed, validated :class:`CollectionQuery` (or :class:`ResourceQuery`
for a single resource). Anything invalid is a 400 whose error object names
the offending parameter in ``source.parameter``. Other query parameters (the
tenant ``o``) are left to whoever owns them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from werkzeug.datastructures import MultiDict

from ..errors import BadRequestError
from .specs import CollectionSpec, ResourceSpec, known_members

__all__ = [
    "CollectionQuery",
    "PageRequest",
    "ResourceQuery",
    "SortKey",
    "parse_collection_query",
    "parse_resource_query",
]

_FAMILY = re.compile(r"^(fields|filter|page)\[([^\]]*)\]$")


@dataclass(frozen=True)
class SortKey:
    """One ``sort`` entry: the declared name and its direction."""

    name: str
    descending: bool = False

    def __str__(self) -> str:
        return f"-{self.name}" if self.descending else self.name


@dataclass(frozen=True)
class PageRequest:
    """Validated ``page[...]`` values; ``after`` is the still-opaque cursor."""

    size: int
    number: int = 1
    after: str | None = None


@dataclass(frozen=True)
class ResourceQuery:
    """Query of a single-resource request.

    :ivar spec: the spec it was parsed against.
    :ivar include: requested include paths, in request order.
    :ivar fields: sparse fieldsets, ``type`` -> allowed member names.
    """

    spec: ResourceSpec
    include: tuple[str, ...] = ()
    fields: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class CollectionQuery(ResourceQuery):
    """Query of a collection request.

    :ivar sort: sort keys, the default sort applied when none was sent.
    :ivar filters: ``filter[...]`` values loaded by the spec's filter schema.
    :ivar page: pagination request.
    """

    sort: tuple[SortKey, ...] = ()
    filters: Mapping[str, Any] = field(default_factory=dict)
    page: PageRequest = PageRequest(size=1)


def _families(args: MultiDict[str, str]) -> dict[str, dict[str, str]]:
    """Group ``family[key]=value`` parameters; a repeated one is a 400, and so is a NUL
    (``%00``), which no database text comparison accepts."""
    grouped: dict[str, dict[str, str]] = {"fields": {}, "filter": {}, "page": {}}
    for name in args:
        values = args.getlist(name)
        if "\x00" in name or any("\x00" in value for value in values):
            raise BadRequestError("Query parameters must not contain NUL characters.", parameter=name)
        match = _FAMILY.match(name)
        if match is None:
            if name in grouped:  # bare "filter=..." or "page=..."
                raise BadRequestError(f"Use {name}[...] parameters.", parameter=name)
            continue
        if len(values) > 1:
            raise BadRequestError(f"{name} is given more than once.", parameter=name)
        grouped[match.group(1)][match.group(2)] = values[0]
    return grouped


def _csv(value: str) -> list[str]:
    return [item.strip() for item in value.split(",") if item.strip()]


def _parse_include(spec: ResourceSpec, args: MultiDict[str, str]) -> tuple[str, ...]:
    paths = _csv(args.get("include", ""))
    for path in paths:
        if path not in spec.includes:
            allowed = ", ".join(sorted(spec.includes)) or "none"
            raise BadRequestError(f"Unknown include path {path!r}; allowed: {allowed}.", parameter="include")
    return tuple(dict.fromkeys(paths))


def _parse_fields(spec: ResourceSpec, fieldsets: dict[str, str]) -> dict[str, frozenset[str]]:
    known = known_members(spec)
    parsed = {}
    for type_, value in fieldsets.items():
        names = frozenset(_csv(value))
        # Types we have no schema for (a host's "customers") are pruned as asked.
        unknown = names - known[type_] if type_ in known else set()
        if unknown:
            raise BadRequestError(
                f"Unknown field(s) for {type_}: {', '.join(sorted(unknown))}.",
                parameter=f"fields[{type_}]",
            )
        parsed[type_] = names
    return parsed


def _parse_sort(spec: CollectionSpec, value: str | None) -> tuple[SortKey, ...]:
    keys = [SortKey(e.lstrip("-"), e.startswith("-")) for e in _csv(value or spec.default_sort)]
    for key in keys:
        if key.name not in spec.sorts:
            allowed = ", ".join(sorted(spec.sorts)) or "none"
            raise BadRequestError(f"Cannot sort by {key.name!r}; allowed: {allowed}.", parameter="sort")
    if len({k.name for k in keys}) != len(keys):
        raise BadRequestError("A sort field is given twice.", parameter="sort")
    return tuple(keys)


def _parse_filters(spec: CollectionSpec, raw: dict[str, str]) -> dict[str, Any]:
    if spec.filters is None:
        if raw:
            name = next(iter(raw))
            raise BadRequestError("This collection has no filters.", parameter=f"filter[{name}]")
        return {}
    schema = spec.filters()
    accepted = {f.data_key or name for name, f in schema.load_fields.items()}
    for name in raw:
        if name not in accepted:
            raise BadRequestError(
                f"Unknown filter {name!r}; allowed: {', '.join(sorted(accepted))}.",
                parameter=f"filter[{name}]",
            )
    try:
        return schema.load(raw)
    except ma.ValidationError as err:
        messages = err.normalized_messages()
        raise BadRequestError.many(
            BadRequestError(
                " ".join(map(str, msgs)) if isinstance(msgs, list) else str(msgs),
                parameter=f"filter[{name}]" if name != "_schema" else "filter",
            )
            for name, msgs in messages.items()
        ) from err


def _positive_int(raw: str, parameter: str, maximum: int | None = None) -> int:
    bound = f" and at most {maximum}" if maximum is not None else ""
    if not raw.isdigit() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
        raise BadRequestError(f"{parameter} must be an integer of at least 1{bound}.", parameter=parameter)
    return int(raw)


def _parse_page(spec: CollectionSpec, raw: dict[str, str]) -> PageRequest:
    allowed = {"size", "number"} if spec.pagination == "offset" else {"size", "after"}
    for key in raw:
        if key not in allowed:
            raise BadRequestError(
                f"page[{key}] is not supported here; use {', '.join(sorted(allowed))}.",
                parameter=f"page[{key}]",
            )
    size = spec.page_size
    if "size" in raw:
        size = _positive_int(raw["size"], "page[size]", spec.max_page_size)
    number = _positive_int(raw["number"], "page[number]") if "number" in raw else 1
    return PageRequest(size=size, number=number, after=raw.get("after") or None)


def parse_resource_query(spec: ResourceSpec, args: MultiDict[str, str]) -> ResourceQuery:
    """Parse ``include`` and ``fields[...]`` for a single-resource request.

    :raises BadRequestError: with ``source.parameter`` set.
    """
    families = _families(args)
    return ResourceQuery(spec=spec, include=_parse_include(spec, args), fields=_parse_fields(spec, families["fields"]))


def parse_collection_query(spec: CollectionSpec, args: MultiDict[str, str]) -> CollectionQuery:
    """Parse every JSON:API query parameter of a collection request.

    :raises BadRequestError: with ``source.parameter`` set.
    """
    families = _families(args)
    return CollectionQuery(
        spec=spec,
        include=_parse_include(spec, args),
        fields=_parse_fields(spec, families["fields"]),
        sort=_parse_sort(spec, args.get("sort")),
        filters=_parse_filters(spec, families["filter"]),
        page=_parse_page(spec, families["page"]),
    )
