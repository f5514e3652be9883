"""JSON:API for the broadcasts blueprint, on top of flask-smorest and marshmallow-jsonapi.

A resource declares a :class:`ResourceSpec`/:class:`CollectionSpec`, decorates
its views with :class:`JsonApiBlueprint`'s ``jsonapi_*`` decorators and
answers with :func:`render_resource`/:func:`render_page`; negotiation, error
documents, query parsing, pagination and OpenAPI are done here. Services raise
:mod:`flask_broadcasts.errors` exceptions.
"""

from __future__ import annotations

from .api import ScopedApi
from .blueprint import JsonApiBlueprint
from .body import Payload, parse_body
from .cursor import decode_cursor, encode_cursor
from .error_documents import error_object, error_response
from .hooks import install_jsonapi
from .negotiation import MEDIA_TYPE
from .pagination import Page, apply_sort, paginate
from .query import CollectionQuery, PageRequest, ResourceQuery, SortKey
from .render import build_document, no_content, render_page, render_resource
from .schema import ResourceSchema
from .specs import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, CollectionSpec, ExternalInclude, ResourceSpec

__all__ = [
    "DEFAULT_PAGE_SIZE",
    "MAX_PAGE_SIZE",
    "MEDIA_TYPE",
    "CollectionQuery",
    "CollectionSpec",
    "ExternalInclude",
    "JsonApiBlueprint",
    "Page",
    "PageRequest",
    "Payload",
    "ResourceQuery",
    "ResourceSchema",
    "ResourceSpec",
    "ScopedApi",
    "SortKey",
    "apply_sort",
    "build_document",
    "decode_cursor",
    "encode_cursor",
    "error_object",
    "error_response",
    "install_jsonapi",
    "no_content",
    "paginate",
    "parse_body",
    "render_page",
    "render_resource",
]
