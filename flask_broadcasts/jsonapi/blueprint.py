"""The flask-smorest ``Blueprint`` that resources of the broadcasts API use.

Each ``jsonapi_*`` decorator does two things: it parses the request (query
parameters or body) into a typed object passed to the view as an extra
positional argument, and it records what to document, so the OpenAPI
operation shows the JSON:API parameters, request document and responses with
the ``application/vnd.api+json`` media type.
"""

from __future__ import annotations

import http
from collections.abc import Callable, Sequence
from copy import deepcopy
from functools import wraps
from typing import Any, Literal, TypeVar

import flask_smorest
from apispec import APISpec
from flask import current_app, request
from marshmallow_jsonapi import Schema

from .body import parse_body
from .hooks import install_jsonapi
from .negotiation import MEDIA_TYPE
from .openapi import query_parameters, ref, register_request_document, register_resource
from .query import parse_collection_query, parse_resource_query
from .specs import CollectionSpec, ResourceSpec

__all__ = ["JsonApiBlueprint"]

F = TypeVar("F", bound=Callable[..., Any])
Kind = Literal["resource", "collection", "create", "update", "delete", "action"]

# Error responses each kind of operation documents (besides 406, and 401/403 of the
# tenant check; :class:`~.openapi.PathIdNotFound` adds 404 wherever the path names a resource).
_ERRORS: dict[str, tuple[int, ...]] = {
    "resource": (400, 404),
    "collection": (400,),
    "create": (400, 403, 409, 413, 415, 422),
    "update": (400, 404, 409, 413, 415, 422),
    "delete": (404,),
    # 409 ``illegal_transition``: the resource's status does not allow the action.
    "action": (400, 404, 409),
}


class _DocInfo:
    """What a decorator documents; survives flask-smorest's deep copies as is
    (a spec holds SQLAlchemy columns, which must not be deep-copied)."""

    def __init__(
        self,
        kind: Kind,
        schema: type[Schema],
        declaration: ResourceSpec | None,
        parameters: Sequence[dict[str, Any]] = (),
    ) -> None:
        self.kind, self.schema, self.declaration = kind, schema, declaration
        self.parameters = list(parameters)

    def __deepcopy__(self, memo: dict[int, Any]) -> _DocInfo:
        return self


def _schema_of(source: type[Schema] | ResourceSpec) -> type[Schema]:
    return source.schema if isinstance(source, ResourceSpec) else source


class JsonApiBlueprint(flask_smorest.Blueprint):
    """A flask-smorest ``Blueprint`` speaking JSON:API.

    Content negotiation and JSON:API error documents are installed on the
    blueprint itself (:func:`~.install_jsonapi`). Register it with
    :class:`~.ScopedApi`.

    :param tenant_parameter: name of the required tenant query parameter
        documented on every operation (``"o"``), or ``None``.

    Other arguments are those of :class:`flask_smorest.Blueprint`.
    """

    def __init__(self, *args: Any, tenant_parameter: str | None = "o", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant_parameter = tenant_parameter
        install_jsonapi(self)
        self._prepare_doc_cbks.append(self._prepare_jsonapi_doc)

    def _decorate(self, info: _DocInfo, parse: Callable[[dict[str, Any]], Any] | None) -> Callable[[F], F]:
        def decorator(func: F) -> F:
            @wraps(func)
            def wrapper(*args: Any, **kwargs: Any) -> Any:
                if parse is not None:
                    args = (*args, parse(kwargs))
                return current_app.ensure_sync(func)(*args, **kwargs)

            wrapper._apidoc = deepcopy(getattr(wrapper, "_apidoc", {}))  # type: ignore[attr-defined]
            wrapper._apidoc["jsonapi"] = info  # type: ignore[attr-defined]
            return wrapper  # type: ignore[return-value]

        return decorator

    def jsonapi_resource(self, spec: ResourceSpec) -> Callable[[F], F]:
        """Fetch one resource: the view receives a :class:`~.ResourceQuery`
        (``include``, ``fields[...]``) and renders with :func:`~.render_resource`."""
        return self._decorate(
            _DocInfo("resource", spec.schema, spec), lambda _: parse_resource_query(spec, request.args)
        )

    def jsonapi_action(self, spec: ResourceSpec, *, parameters: Sequence[dict[str, Any]] = ()) -> Callable[[F], F]:
        """An action on one resource (``/broadcast-campaigns/{id}/start``): parsed like
        :meth:`jsonapi_resource`, answered with the resource after the change, documented
        with its 409. Give the same view to ``get`` and ``post``: a ``POST`` carries no body
        (one that does must still be a JSON:API document, else 415).

        :param parameters: OpenAPI parameter objects of the action's own query parameters.
        """
        return self._decorate(
            _DocInfo("action", spec.schema, spec, parameters), lambda _: parse_resource_query(spec, request.args)
        )

    def jsonapi_collection(
        self, spec: CollectionSpec, *, parameters: Sequence[dict[str, Any]] = ()
    ) -> Callable[[F], F]:
        """List a collection: the view receives a :class:`~.CollectionQuery`,
        filters its ``Select`` with ``query.filters``, then renders
        ``render_page(paginate(session, select, query), query)``.

        :param parameters: OpenAPI parameter objects of the view's own query parameters
            (not JSON:API's), documented after the JSON:API ones; the view reads them.
        """
        return self._decorate(
            _DocInfo("collection", spec.schema, spec, parameters), lambda _: parse_collection_query(spec, request.args)
        )

    def jsonapi_create(self, source: type[Schema] | ResourceSpec) -> Callable[[F], F]:
        """Create: the view receives a :class:`~.Payload` and answers
        ``render_resource(obj, Schema, status=201)``."""
        schema = _schema_of(source)
        return self._decorate(_DocInfo("create", schema, None), lambda _: parse_body(schema))

    def jsonapi_update(self, source: type[Schema] | ResourceSpec, *, id_arg: str = "id") -> Callable[[F], F]:
        """Update (PATCH, partial): the view receives a :class:`~.Payload`;
        ``data.id`` must equal the URL variable ``id_arg`` (else 409)."""
        schema = _schema_of(source)
        return self._decorate(
            _DocInfo("update", schema, None),
            lambda kwargs: parse_body(schema, partial=True, resource_id=kwargs.get(id_arg)),
        )

    def jsonapi_delete(self, source: type[Schema] | ResourceSpec) -> Callable[[F], F]:
        """Delete: documents the 204 answer; the view returns :func:`~.no_content`."""
        return self._decorate(_DocInfo("delete", _schema_of(source), None), None)

    def _prepare_jsonapi_doc(
        self, doc: dict[str, Any], doc_info: dict[str, Any], *, api: flask_smorest.Api, spec: APISpec, **kwargs: Any
    ) -> dict[str, Any]:
        """flask-smorest doc callback: add the JSON:API parameters, bodies and responses."""
        parameters = doc.setdefault("parameters", [])
        responses = doc.setdefault("responses", {})
        if self.tenant_parameter:
            parameters.append(
                {
                    "name": self.tenant_parameter,
                    "in": "query",
                    "required": True,
                    "schema": {"type": "string"},
                    "description": "Organization (tenant) id.",
                }
            )
            # No valid token (401); not a member of the organization (403).
            responses[401] = http.HTTPStatus(401).name
            responses[403] = http.HTTPStatus(403).name
        info: _DocInfo | None = doc_info.get("jsonapi")
        responses[406] = http.HTTPStatus(406).name
        if info is None:
            return doc
        converter = api.ma_plugin.converter
        base = register_resource(spec, converter, info.schema)

        def content(name: str) -> dict[str, Any]:
            return {"content": {MEDIA_TYPE: {"schema": ref(name)}}}

        if info.kind in ("resource", "collection", "action"):
            parameters.extend(query_parameters(info.declaration, converter, collection=info.kind == "collection"))
        parameters.extend(info.parameters)
        if info.kind in ("create", "update"):
            doc["requestBody"] = {
                "required": True,
                **content(register_request_document(spec, converter, info.schema, info.kind)),
            }
        success = {"resource": 200, "collection": 200, "create": 201, "update": 200, "delete": 204, "action": 200}
        status = success[info.kind]
        if status == 204:
            responses[status] = {"description": "No Content"}
        else:
            document = f"{base}CollectionDocument" if info.kind == "collection" else f"{base}Document"
            responses[status] = {"description": http.HTTPStatus(status).phrase, **content(document)}
        for code in _ERRORS[info.kind]:
            responses[code] = http.HTTPStatus(code).name
        return doc
