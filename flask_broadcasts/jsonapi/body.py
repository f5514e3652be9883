"""Parse and validate create/update request documents.

The structure of the document (an object with a ``data`` object carrying a
string ``type``) is checked here first, so a malformed document is a 400 with
a pointer rather than a marshmallow error. Then the resource's
marshmallow-jsonapi schema loads it: invalid values are 422 with a pointer to
the attribute or relationship; a wrong ``type`` or an id that does not match
the URL is 409. Top-level and resource ``meta`` are accepted and handed to the
view, not to the schema (which would reject them as unknown fields).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

import marshmallow as ma
from flask import request
from marshmallow_jsonapi import Schema
from marshmallow_jsonapi.exceptions import IncorrectTypeError

from ..errors import BadRequestError, ConflictError, ForbiddenError, InvalidInputError
from .specs import relationship_fields

__all__ = ["Payload", "parse_body"]


@dataclass(frozen=True)
class Payload:
    """A loaded create/update document.

    :ivar attributes: loaded attributes, by schema field name (only those sent
        on an update).
    :ivar relationships: loaded relationship ids (``"7"``, ``["1", "2"]`` or
        ``None``), by schema field name.
    :ivar id: the resource id from the body, if any.
    :ivar meta: top-level ``meta`` of the document.
    :ivar resource_meta: ``meta`` of the resource object.
    """

    attributes: dict[str, Any]
    relationships: dict[str, Any] = field(default_factory=dict)
    id: str | None = None
    meta: dict[str, Any] = field(default_factory=dict)
    resource_meta: dict[str, Any] = field(default_factory=dict)

    @property
    def values(self) -> dict[str, Any]:
        """Attributes and relationship ids together, as marshmallow loaded them."""
        return {**self.attributes, **self.relationships}


#: Deepest nesting a request document may have. A JSON:API document needs about 6
#: levels (data/attributes/filters/...); a bound keeps every later recursive walk
#: (marshmallow, json.dumps of a stored value) far from Python's recursion limit.
MAX_DEPTH = 32


def _pointer_segment(key: Any) -> str:
    return str(key).replace("~", "~0").replace("/", "~1")


#: NUL (PostgreSQL text cannot hold it) or a lone surrogate (not encodable as UTF-8).
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _unstorable(text: str) -> bool:
    return _UNSTORABLE.search(text) is not None


def _check_document(document: Any) -> None:
    """Refuse too-deep nesting (400) and unstorable characters (422), with a pointer.

    Iterative on purpose: a recursive walk would itself hit the recursion limit.
    """
    stack: list[tuple[Any, str, int]] = [(document, "", 0)]
    while stack:
        value, pointer, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise BadRequestError(
                f"The document is nested more than {MAX_DEPTH} levels deep.", pointer=pointer, code="too_deep"
            )
        if isinstance(value, str):
            if _unstorable(value):
                raise InvalidInputError(
                    "Must not contain NUL characters or unpaired surrogates.", pointer=pointer, code="invalid_character"
                )
        elif isinstance(value, dict):
            for key, inner in value.items():
                where = f"{pointer}/{_pointer_segment(key)}"
                if _unstorable(key):
                    raise InvalidInputError(
                        "A member name must not contain NUL characters or unpaired surrogates.",
                        pointer=where,
                        code="invalid_character",
                    )
                stack.append((inner, where, depth + 1))
        elif isinstance(value, list):
            stack.extend((inner, f"{pointer}/{i}", depth + 1) for i, inner in enumerate(value))


def _read_json() -> Any:
    raw = request.get_data(cache=True)
    if not raw:
        raise BadRequestError("The request body is empty.", pointer="")
    try:
        document = json.loads(raw)
    except (ValueError, UnicodeDecodeError) as err:
        raise BadRequestError(f"The request body is not valid JSON: {err}.") from err
    except RecursionError as err:  # "[[[[..." deeper than the parser's own limit
        raise BadRequestError(f"The document is nested more than {MAX_DEPTH} levels deep.", code="too_deep") from err
    _check_document(document)
    return document


def _require_object(value: Any, pointer: str, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise BadRequestError(f"{what} must be a JSON object.", pointer=pointer)
    return value


def _identifier_ok(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("type"), str) and isinstance(value.get("id"), str)


def _check_linkage(instance: Schema, relationships: dict[str, Any]) -> None:
    """Each relationship is ``{"data": linkage}``: ``null`` or a resource identifier for a
    to-one, an array of them for a to-many (400 otherwise, with a pointer). Left to
    marshmallow-jsonapi, ``"data": 1.5`` was a ``TypeError`` (500)."""
    fields = relationship_fields(instance)
    for name, member in relationships.items():
        field = fields.get(name)
        if field is None:
            continue  # unknown: marshmallow refuses it (422)
        where = f"/data/relationships/{_pointer_segment(name)}"
        if not isinstance(member, dict) or "data" not in member:
            raise BadRequestError("A relationship must be an object with a data member.", pointer=where)
        linkage = member["data"]
        if getattr(field, "many", False):
            ok = isinstance(linkage, list) and all(_identifier_ok(v) for v in linkage)
            expected = "an array of resource identifiers"
        else:
            ok = linkage is None or _identifier_ok(linkage)
            expected = "null or a resource identifier ({type, id} strings)"
        if not ok:
            raise BadRequestError(f"Relationship data must be {expected}.", pointer=f"{where}/data")


def parse_body(schema: type[Schema], *, partial: bool = False, resource_id: Any = None) -> Payload:
    """Read the request body as a JSON:API document for ``schema``.

    :param schema: the resource's marshmallow-jsonapi schema class.
    :param partial: an update: only the members sent are loaded and ``data.id``
        is required.
    :param resource_id: the id in the URL, which ``data.id`` must equal.
    :raises BadRequestError: malformed JSON or document, or nested deeper than
        :data:`MAX_DEPTH` (400).
    :raises ForbiddenError: a client-generated id the schema does not load (403).
    :raises ConflictError: wrong ``type`` or id (409).
    :raises InvalidInputError: invalid values, several at once; a string holding NUL or
        an unpaired surrogate, which no column can store (422).
    """
    document = _require_object(_read_json(), "", "The document")
    data = _require_object(document.get("data"), "/data", "data")
    meta = _require_object(document.get("meta", {}), "/meta", "meta")
    resource_meta = _require_object(data.get("meta", {}), "/data/meta", "data.meta")
    for member in ("attributes", "relationships"):
        _require_object(data.get(member, {}), f"/data/{member}", member)
    expected = schema.opts.type_
    if not isinstance(data.get("type"), str):
        raise BadRequestError("data.type is required.", pointer="/data/type")
    if data["type"] != expected:
        raise ConflictError(f"Expected type {expected!r}.", pointer="/data/type")

    instance = schema()
    _check_linkage(instance, data.get("relationships", {}))
    id_loads = "id" in instance.load_fields
    body_id = data.get("id")
    if body_id is not None and not isinstance(body_id, str):
        raise BadRequestError("data.id must be a string.", pointer="/data/id")
    if partial:
        if body_id is None:
            raise BadRequestError("data.id is required.", pointer="/data/id")
        if resource_id is not None and body_id != str(resource_id):
            raise ConflictError("data.id does not match the URL.", pointer="/data/id")
    elif body_id is not None and not id_loads:
        raise ForbiddenError("Client-generated ids are not supported.", pointer="/data/id")

    to_load = {k: v for k, v in data.items() if k in ("type", "attributes", "relationships")}
    if body_id is not None and id_loads:
        to_load["id"] = body_id
    try:
        loaded = instance.load({"data": to_load}, partial=partial)
    except IncorrectTypeError as err:  # defensive: checked above
        raise ConflictError(err.detail, pointer=err.pointer) from err
    except ma.ValidationError as err:
        raise InvalidInputError.many(
            InvalidInputError(str(e.get("detail")), pointer=e.get("source", {}).get("pointer"))
            for e in err.messages.get("errors", [])  # type: ignore[union-attr]
        ) from err

    relationship_names = {f.name for f in relationship_fields(instance).values()}
    loaded.pop("id", None)
    return Payload(
        attributes={k: v for k, v in loaded.items() if k not in relationship_names},
        relationships={k: v for k, v in loaded.items() if k in relationship_names},
        id=body_id,
        meta=meta,
        resource_meta=resource_meta,
    )
