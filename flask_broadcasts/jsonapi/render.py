"""Render JSON:API documents: primary data, compound includes, fieldsets, links, meta.

marshmallow-jsonapi serializes the resource objects and the includes that are
relationships of our schemas (dotted paths included, de-duplicated by
``(type, id)``). On top of that this module adds includes the resource
computed itself (e.g. a host's ``customers``), applies sparse fieldsets to
every resource object, and adds ``links``, ``meta`` and ``jsonapi``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any, cast

from flask import Response, current_app
from marshmallow_jsonapi import Schema

from .negotiation import MEDIA_TYPE
from .pagination import Page, request_url
from .query import CollectionQuery, ResourceQuery
from .specs import ResourceSpec

__all__ = ["build_document", "no_content", "render_page", "render_resource"]

ResourceObject = dict[str, Any]
#: primary id -> relationship name -> linkage (``{"type", "id"}``, a list, or ``None``)
Linkage = Mapping[str, Mapping[str, Any]]
ResourceMetaHook = Callable[[Any], Mapping[str, Any] | None]


def _identifier(resource: Mapping[str, Any]) -> dict[str, str]:
    return {"type": resource["type"], "id": str(resource["id"])}


def _linkage_of(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, Mapping):
        return _identifier(value)
    return [_identifier(v) for v in value]


def _resources_of(value: Any) -> list[ResourceObject]:
    if value is None:
        return []
    return [cast(ResourceObject, value)] if isinstance(value, Mapping) else list(value)


def _apply_fieldset(resource: ResourceObject, fields: Mapping[str, frozenset[str]]) -> None:
    allowed = fields.get(resource["type"])
    if allowed is None:
        return
    for member in ("attributes", "relationships"):
        kept = {k: v for k, v in resource.get(member, {}).items() if k in allowed}
        if kept:
            resource[member] = kept
        else:
            resource.pop(member, None)


def build_document(
    data: Any,
    query: ResourceQuery,
    *,
    many: bool = False,
    links: Mapping[str, str | None] | None = None,
    meta: Mapping[str, Any] | None = None,
    resource_meta: ResourceMetaHook | None = None,
    included: Iterable[ResourceObject] = (),
    linkage: Linkage | None = None,
) -> dict[str, Any]:
    """Build a JSON:API document as a dict; the ``render_*`` functions wrap it.

    :param data: one object (or ``None``), or a sequence when ``many``.
    :param query: the parsed query (includes and fieldsets to honour).
    :param links: top-level links; ``None`` values are left out.
    :param meta: top-level ``meta``.
    :param resource_meta: called with each primary object; its result is the
        resource object's ``meta``.
    :param included: extra resource objects to include (de-duplicated).
    :param linkage: extra relationship linkage per primary id.
    """
    spec = query.spec
    external = [path for path in query.include if path in spec.external_includes]
    schema_paths = tuple(path for path in query.include if path not in spec.external_includes)
    document = spec.schema(include_data=schema_paths, many=many).dump(data)

    objects = list(data) if many else ([] if data is None else [data])
    primaries: list[ResourceObject] = document["data"] if many else [r for r in [document["data"]] if r]
    extra: list[ResourceObject] = list(document.get("included", []))
    extra_linkage: dict[str, dict[str, Any]] = {}
    for name in external:
        resolved = spec.external_includes[name](objects)
        for resource in primaries:
            value = resolved.get(str(resource["id"]))
            extra_linkage.setdefault(str(resource["id"]), {})[name] = _linkage_of(value)
            extra.extend(_resources_of(value))
    for primary_id, rels in (linkage or {}).items():
        extra_linkage.setdefault(str(primary_id), {}).update(rels)
    extra.extend(included)

    for obj, resource in zip(objects, primaries, strict=True):
        resource["id"] = str(resource["id"])
        for name, value in extra_linkage.get(resource["id"], {}).items():
            resource.setdefault("relationships", {})[name] = {"data": value}
        extra_meta = resource_meta(obj) if resource_meta else None
        if extra_meta:
            resource.setdefault("meta", {}).update(extra_meta)

    # A resource appears once: never twice in included, never in both parts.
    seen = {(r["type"], r["id"]) for r in primaries}
    unique: list[ResourceObject] = []
    for resource in extra:
        key = (resource["type"], str(resource["id"]))
        if key not in seen:
            seen.add(key)
            unique.append({**resource, "id": key[1]})
    for resource in [*primaries, *unique]:
        _apply_fieldset(resource, query.fields)

    result: dict[str, Any] = {"data": document["data"]}
    if query.include or unique:
        result["included"] = unique
    page_links = {k: v for k, v in (links or {"self": request_url()}).items() if v is not None}
    if page_links:
        result["links"] = page_links
    top_meta = {**document.get("meta", {}), **(meta or {})}
    if top_meta:
        result["meta"] = top_meta
    result["jsonapi"] = {"version": "1.0"}
    return result


def _respond(document: Mapping[str, Any], status: int) -> Response:
    body = current_app.json.dumps(document)
    return current_app.response_class(body, status=status, mimetype=MEDIA_TYPE)


def render_resource(
    obj: Any,
    source: ResourceQuery | type[Schema],
    *,
    status: int = 200,
    meta: Mapping[str, Any] | None = None,
    resource_meta: ResourceMetaHook | None = None,
    included: Iterable[ResourceObject] = (),
    linkage: Linkage | None = None,
    location: str | None = None,
) -> Response:
    """Answer with a single-resource document.

    :param obj: the object (or ``None`` for an empty to-one).
    :param source: the parsed :class:`ResourceQuery`, or just the schema
        (after a create or update, which take no ``include``).
    :param status: 200, or 201 after a create.
    :param location: the URL of the resource (after a create): the ``Location`` header and
        ``links.self``, instead of the request's URL (the collection's).
    """
    query = source if isinstance(source, ResourceQuery) else ResourceQuery(ResourceSpec(source))
    links = {"self": location} if location is not None else None
    document = build_document(
        obj, query, links=links, meta=meta, resource_meta=resource_meta, included=included, linkage=linkage
    )
    response = _respond(document, status)
    if location is not None:
        response.headers["Location"] = location
    return response


def render_page(
    page: Page,
    query: CollectionQuery,
    *,
    meta: Mapping[str, Any] | None = None,
    resource_meta: ResourceMetaHook | None = None,
    included: Iterable[ResourceObject] = (),
    linkage: Linkage | None = None,
) -> Response:
    """Answer with a collection document for ``page`` (links and meta merged in)."""
    document = build_document(
        page.items,
        query,
        many=True,
        links=page.links,
        meta={**page.meta, **(meta or {})},
        resource_meta=resource_meta,
        included=included,
        linkage=linkage,
    )
    return _respond(document, 200)


def no_content() -> Response:
    """Answer 204 No Content (e.g. after a delete)."""
    return current_app.response_class(status=204)
