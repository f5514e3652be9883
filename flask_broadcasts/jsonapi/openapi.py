"""OpenAPI components describing the JSON:API wire format.

flask-smorest would document a marshmallow-jsonapi schema as its flat fields,
which is not what travels. For each resource schema this module registers,
in the apispec ``APISpec``:

- ``<Name>Resource``: the resource object (``type`` enum, ``id``,
  ``attributes`` from the schema fields, ``relationships`` with linkage);
- ``<Name>Document`` / ``<Name>CollectionDocument``: ``data``, ``included``,
  ``links``, ``meta``, ``jsonapi``;
- ``<Name>CreateDocument`` / ``<Name>UpdateDocument``: the request bodies;

plus, once, ``JsonApiErrorDocument``, ``JsonApiResourceObject`` (any
included resource) and ``JsonApiLinks``. ``<Name>`` is the schema class name
without a ``Schema`` suffix.
"""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from marshmallow_jsonapi import Schema
from marshmallow_jsonapi.fields import BaseRelationship, DocumentMeta, ResourceMeta

from .specs import known_members

__all__ = [
    "ERROR_DOCUMENT",
    "PathIdNotFound",
    "nullable",
    "query_parameters",
    "ref",
    "register_common_components",
    "register_resource",
]

ERROR_DOCUMENT = "JsonApiErrorDocument"
RESOURCE_OBJECT = "JsonApiResourceObject"
LINKS = "JsonApiLinks"
_OBJECT = {"type": "object"}
_META = {"type": "object", "additionalProperties": True}
_JSONAPI = {"type": "object", "properties": {"version": {"type": "string"}}}
_IDENTIFIER = {
    "type": "object",
    "required": ["type", "id"],
    "properties": {"type": {"type": "string"}, "id": {"type": "string"}},
}


def ref(name: str) -> dict[str, str]:
    """A ``$ref`` to a component schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(schema: dict[str, Any], spec: APISpec) -> dict[str, Any]:
    """``schema`` or ``null``, spelled for the spec's OpenAPI version."""
    if (spec.openapi_version.major, spec.openapi_version.minor) >= (3, 1):
        return {"anyOf": [schema, {"type": "null"}]}
    return {"anyOf": [schema, {"type": "object", "nullable": True}]}


class PathIdNotFound(BasePlugin):
    """apispec plugin: an operation whose path names a resource (``/{id}/messages``)
    documents 404, answered when that resource is not in the organization."""

    def operation_helper(
        self, path: str | None = None, operations: dict[str, Any] | None = None, **kwargs: Any
    ) -> None:
        """Add a 404 response to every operation of a path with a parameter."""
        if not path or "{" not in path:
            return
        for operation in (operations or {}).values():
            responses = operation.setdefault("responses", {})
            if 404 not in responses and "404" not in responses:
                responses[404] = "NOT_FOUND"


def _any_relationship(spec: APISpec) -> dict[str, Any]:
    linkage = {"anyOf": [_IDENTIFIER, {"type": "array", "items": _IDENTIFIER}]}
    return {"type": "object", "properties": {"data": nullable(linkage, spec), "meta": _META}}


def _register(spec: APISpec, name: str, schema: dict[str, Any]) -> None:
    if name not in spec.components.schemas:
        spec.components.schema(name, schema)


def register_common_components(spec: APISpec) -> None:
    """Register the components shared by every resource (idempotent)."""
    string_or_null = nullable({"type": "string"}, spec)
    _register(spec, LINKS, {"type": "object", "additionalProperties": string_or_null})
    source = {"type": "object", "properties": {"pointer": {"type": "string"}, "parameter": {"type": "string"}}}
    error = {
        "type": "object",
        "properties": {
            "status": {"type": "string", "description": "HTTP status code, as a string"},
            "code": {"type": "string", "description": "Stable machine-readable code"},
            "title": {"type": "string"},
            "detail": {"type": "string"},
            "source": source,
            "meta": _META,
        },
    }
    _register(
        spec,
        ERROR_DOCUMENT,
        {
            "type": "object",
            "required": ["errors"],
            "properties": {"errors": {"type": "array", "items": error}, "meta": _META, "jsonapi": _JSONAPI},
        },
    )
    _register(
        spec,
        RESOURCE_OBJECT,
        {
            "type": "object",
            "required": ["type", "id"],
            "properties": {
                "type": {"type": "string"},
                "id": {"type": "string"},
                "attributes": _OBJECT,
                "relationships": _OBJECT,
                "links": ref(LINKS),
                "meta": _META,
            },
        },
    )


def component_base(schema: type[Schema]) -> str:
    """``TemplateSchema`` -> ``Template``."""
    name = schema.__name__
    return name[: -len("Schema")] if name.endswith("Schema") and name != "Schema" else name


def _linkage(rel: BaseRelationship, spec: APISpec) -> dict[str, Any]:
    # A relationship to a host resource (``host_type``) has the type the host registers.
    pinned = getattr(rel, "type_", None) and not getattr(rel, "host_type", False)
    type_ = {"type": "string", "enum": [rel.type_]} if pinned else {"type": "string"}
    identifier = {
        "type": "object",
        "required": ["type", "id"],
        "additionalProperties": False,
        "properties": {"type": type_, "id": {"type": "string"}, "meta": _META},
    }
    if getattr(rel, "many", False):
        return {"type": "array", "items": identifier}
    return nullable(identifier, spec)


def _members(
    schema: type[Schema], converter: Any, spec: APISpec, *, request: bool
) -> tuple[dict[str, Any], dict[str, Any], list[str], list[str]]:
    """Attribute and relationship properties (+ required names) for responses or requests."""
    attributes: dict[str, Any] = {}
    relationships: dict[str, Any] = {}
    required_attrs: list[str] = []
    required_rels: list[str] = []
    for name, f in schema().fields.items():
        if name == "id" or isinstance(f, (DocumentMeta, ResourceMeta)):
            continue
        if f.dump_only if request else f.load_only:
            continue
        wire = f.data_key or name
        if isinstance(f, BaseRelationship):
            relationships[wire] = {
                "type": "object",
                "properties": {"data": _linkage(f, spec), "links": ref(LINKS), "meta": _META},
            }
            if request:
                relationships[wire]["required"] = ["data"]
            if f.required:
                required_rels.append(wire)
        else:
            # apispec writes ``"format": null`` for a strftime format, which is not valid OpenAPI.
            attributes[wire] = {k: v for k, v in converter.field2property(f).items() if v is not None}
            if f.required:
                required_attrs.append(wire)
    return attributes, relationships, required_attrs, required_rels


def _object_of(properties: dict[str, Any], required: list[str]) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "properties": properties, "additionalProperties": False}
    if required:
        schema["required"] = required
    return schema


def register_resource(spec: APISpec, converter: Any, schema: type[Schema]) -> str:
    """Register the components of ``schema`` (idempotent) and return their base name."""
    base = component_base(schema)
    if f"{base}Resource" in spec.components.schemas:
        return base
    register_common_components(spec)
    type_ = {"type": "string", "enum": [schema.opts.type_]}
    attrs, rels, _, _ = _members(schema, converter, spec, request=False)
    _register(
        spec,
        f"{base}Resource",
        {
            "type": "object",
            "required": ["type", "id"],
            "additionalProperties": False,
            "properties": {
                "type": type_,
                "id": {"type": "string"},
                "attributes": _object_of(attrs, []),
                # A resource may add linkage for includes it resolves
                # itself (a host's customers), so other names are allowed.
                "relationships": {**_object_of(rels, []), "additionalProperties": _any_relationship(spec)},
                "links": ref(LINKS),
                "meta": _META,
            },
        },
    )
    top = {
        "included": {"type": "array", "items": ref(RESOURCE_OBJECT)},
        "links": ref(LINKS),
        "meta": _META,
        "jsonapi": _JSONAPI,
    }
    _register(
        spec,
        f"{base}Document",
        {"type": "object", "required": ["data"], "properties": {"data": nullable(ref(f"{base}Resource"), spec), **top}},
    )
    _register(
        spec,
        f"{base}CollectionDocument",
        {
            "type": "object",
            "required": ["data"],
            "properties": {"data": {"type": "array", "items": ref(f"{base}Resource")}, **top},
        },
    )

    return base


def register_request_document(spec: APISpec, converter: Any, schema: type[Schema], kind: str) -> str:
    """Register the request body of a ``create`` or ``update`` of ``schema`` (idempotent); return its name.

    Only what an operation uses is registered: a resource nobody may write (messages) has
    none, and one created from its type alone (event tickets) gets a document whose
    ``attributes`` and ``relationships`` must stay empty.
    """
    base = register_resource(spec, converter, schema)
    name = f"{base}{kind.title()}Document"
    if name in spec.components.schemas:
        return name
    creating = kind == "create"
    attrs, rels, req_attrs, req_rels = _members(schema, converter, spec, request=True)
    data: dict[str, Any] = {
        "type": "object",
        "required": ["type"] if creating else ["type", "id"],
        "properties": {
            "type": {"type": "string", "enum": [schema.opts.type_]},
            "id": {"type": "string"},
            "meta": _META,
        },
    }
    data["properties"]["attributes"] = _object_of(attrs, req_attrs if creating else [])
    data["properties"]["relationships"] = _object_of(rels, req_rels if creating else [])
    if creating and (req_attrs or req_rels):
        data["required"] += [m for m, req in (("attributes", req_attrs), ("relationships", req_rels)) if req]
    _register(
        spec,
        name,
        {"type": "object", "required": ["data"], "properties": {"data": data, "meta": _META, "jsonapi": _JSONAPI}},
    )
    return name


def _param(name: str, schema: dict[str, Any], description: str, required: bool = False) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": required, "schema": schema, "description": description}


def query_parameters(declaration: Any, converter: Any, *, collection: bool) -> list[dict[str, Any]]:
    """Document the JSON:API query parameters a resource or collection accepts.

    :param declaration: a :class:`~.ResourceSpec` or :class:`~.CollectionSpec`.
    :param converter: the apispec marshmallow ``OpenAPIConverter``.
    :param collection: also document ``sort``, ``filter[...]`` and ``page[...]``.
    """
    params = []
    if declaration.includes:
        paths = ", ".join(sorted(declaration.includes))
        params.append(_param("include", {"type": "string"}, f"Comma-separated relationship paths to include: {paths}."))
    for type_, members in sorted(known_members(declaration).items()):
        params.append(
            _param(
                f"fields[{type_}]",
                {"type": "string"},
                f"Sparse fieldset for {type_}: comma-separated from {', '.join(sorted(members))}.",
            )
        )
    if not collection:
        return params
    if declaration.sorts:
        names = ", ".join(sorted(declaration.sorts))
        params.append(_param("sort", {"type": "string"}, f"Comma-separated sort fields, '-' for descending: {names}."))
    if declaration.filters is not None:
        for p in converter.schema2parameters(declaration.filters, location="query"):
            p["name"] = f"filter[{p['name']}]"
            params.append(p)
    size = {"type": "integer", "minimum": 1, "maximum": declaration.max_page_size, "default": declaration.page_size}
    params.append(_param("page[size]", size, "Page size."))
    if declaration.pagination == "offset":
        params.append(_param("page[number]", {"type": "integer", "minimum": 1, "default": 1}, "Page number (1-based)."))
    else:
        params.append(
            _param("page[after]", {"type": "string"}, "Opaque cursor from links.next; omit for the first page.")
        )
    return params
