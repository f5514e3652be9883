"""Just enough JSON:API for the host's endpoints: documents, errors, query parsing, paging.

The host keeps this deliberately small and hand-written; the extension has its own
JSON:API layer and none of this is shared with it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from flask import Response, json, request
from marshmallow import Schema, ValidationError
from werkzeug.exceptions import HTTPException

MEDIA_TYPE = "application/vnd.api+json"
DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 1000
_FILTER_KEY = re.compile(r"^filter\[([A-Za-z0-9_]+)\]$")


class ApiError(HTTPException):
    """An HTTP error rendered as a JSON:API error document, with where it came from."""

    def __init__(
        self, code: int, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None
    ) -> None:
        super().__init__(detail)
        self.code = code
        self.title = title
        self.detail = detail
        self.errors = [error_object(code, title, detail, pointer=pointer, parameter=parameter)]


def error_object(
    code: int, title: str, detail: str, *, pointer: str | None = None, parameter: str | None = None
) -> dict[str, Any]:
    error: dict[str, Any] = {"status": str(code), "title": title, "detail": detail}
    if pointer is not None:
        error["source"] = {"pointer": pointer}
    elif parameter is not None:
        error["source"] = {"parameter": parameter}
    return error


def document(payload: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None) -> Response:
    """A response carrying a JSON:API document with the JSON:API media type."""
    return Response(
        json.dumps({**payload, "jsonapi": {"version": "1.1"}}), status=status, mimetype=MEDIA_TYPE, headers=headers
    )


def error_response(error: HTTPException) -> Response:
    """Error handler of the host's API blueprint: every HTTP error as an error document."""
    code = error.code or 500
    errors = getattr(error, "errors", None) or [error_object(code, error.name, error.description or error.name)]
    # RFC 6750: a 401 names the scheme the client should use.
    headers = {"WWW-Authenticate": "Bearer"} if code == 401 else None
    return document({"errors": errors}, status=code, headers=headers)


def validation_errors(err: ValidationError, *, code: int, location: str) -> ApiError:
    """One error document with an error per invalid field.

    :param location: ``"filter"`` (query parameters, 400) or ``"attributes"`` (body, 422).
    """
    errors: list[dict[str, Any]] = []
    messages = err.messages if isinstance(err.messages, dict) else {"_schema": err.messages}
    for field, field_messages in messages.items():
        for message in field_messages if isinstance(field_messages, list) else [str(field_messages)]:
            if location == "filter":
                errors.append(error_object(code, "Invalid filter", f"{field}: {message}", parameter=f"filter[{field}]"))
            else:
                pointer = "/data/attributes" if field == "_schema" else f"/data/attributes/{field}"
                errors.append(error_object(code, "Invalid attribute", f"{field}: {message}", pointer=pointer))
    api_error = ApiError(code, "Invalid request", "; ".join(e["detail"] for e in errors))
    api_error.errors = errors
    return api_error


def parse_filters(schema: Schema) -> dict[str, Any]:
    """The ``filter[...]`` query parameters, validated by ``schema`` (400 for unknown or invalid ones)."""
    raw: dict[str, str] = {}
    for key, value in request.args.items():
        if key.startswith("filter"):
            match = _FILTER_KEY.match(key)
            if match is None:
                raise ApiError(400, "Invalid filter", f"{key!r} is not a filter[name] parameter.", parameter=key)
            raw[match.group(1)] = value
    try:
        return schema.load(raw)
    except ValidationError as err:
        raise validation_errors(err, code=400, location="filter") from None


def reject_unsupported_parameters() -> None:
    """JSON:API: a server that does not support ``include``/``sort`` must answer 400."""
    for name in ("include", "sort"):
        if name in request.args:
            raise ApiError(400, "Unsupported parameter", f"{name!r} is not supported here.", parameter=name)


def page_parameters() -> tuple[int, int]:
    """``page[number]`` (from 1) and ``page[size]`` (1..MAX_PAGE_SIZE)."""
    values = []
    for name, default, maximum in (("page[number]", 1, None), ("page[size]", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)):
        raw = request.args.get(name, str(default))
        if not raw.isdecimal() or int(raw) < 1 or (maximum is not None and int(raw) > maximum):
            limit = f"1 to {maximum}" if maximum else "a positive integer"
            raise ApiError(400, "Invalid page parameter", f"{name} must be {limit}.", parameter=name)
        values.append(int(raw))
    return values[0], values[1]


def page_links(number: int, size: int, total: int) -> dict[str, str | None]:
    """``self``/``first``/``prev``/``next``/``last`` links, keeping the other query parameters."""
    last = max(1, -(-total // size))
    others = [(k, v) for k, v in request.args.items(multi=True) if not k.startswith("page[")]

    def link(page: int) -> str:
        return f"{request.base_url}?{urlencode([*others, ('page[number]', page), ('page[size]', size)])}"

    return {
        "self": link(number),
        "first": link(1),
        "prev": link(number - 1) if number > 1 else None,
        "next": link(number + 1) if number < last else None,
        "last": link(last),
    }


def request_data(resource_type: str) -> dict[str, Any]:
    """The ``data`` resource object of a create request (415, 400 or 409 when unusable)."""
    mimetype = request.mimetype
    if mimetype not in (MEDIA_TYPE, "application/json"):
        raise ApiError(415, "Unsupported media type", f"Send {MEDIA_TYPE}, not {mimetype or 'nothing'}.")
    if request.content_type and ";" in request.content_type and mimetype == MEDIA_TYPE:
        params = request.mimetype_params
        if set(params) - {"ext", "profile"}:
            raise ApiError(
                415, "Unsupported media type", "Media type parameters other than ext and profile are not allowed."
            )
    body = request.get_json(silent=True)
    if not isinstance(body, dict) or not isinstance(body.get("data"), dict):
        raise ApiError(
            400, "Malformed document", "The body must be a JSON object with a 'data' object.", pointer="/data"
        )
    data = body["data"]
    if data.get("type") != resource_type:
        raise ApiError(409, "Wrong type", f"data.type must be {resource_type!r}.", pointer="/data/type")
    if "id" in data:
        raise ApiError(403, "Client-generated id", "This server assigns ids; omit data.id.", pointer="/data/id")
    attributes = data.get("attributes", {})
    if not isinstance(attributes, dict):
        raise ApiError(400, "Malformed document", "data.attributes must be an object.", pointer="/data/attributes")
    relationships = data.get("relationships", {})
    if not isinstance(relationships, dict):
        raise ApiError(
            400, "Malformed document", "data.relationships must be an object.", pointer="/data/relationships"
        )
    return data


def load_attributes(schema: Schema, data: Mapping[str, Any]) -> dict[str, Any]:
    """``data.attributes`` validated by ``schema`` (422 with a pointer per invalid attribute)."""
    try:
        return schema.load(data.get("attributes", {}))
    except ValidationError as err:
        raise validation_errors(err, code=422, location="attributes") from None


def relationship_ids(
    data: Mapping[str, Any], name: str, resource_type: str, *, many: bool, required: bool
) -> list[str]:
    """The ids of relationship ``name`` of ``data`` (400 malformed, 409 wrong type, 422 missing)."""
    pointer = f"/data/relationships/{name}"
    relationship = data.get("relationships", {}).get(name)
    if relationship is None:
        if required:
            raise ApiError(422, "Missing relationship", f"The {name!r} relationship is required.", pointer=pointer)
        return []
    linkage = relationship.get("data") if isinstance(relationship, dict) else None
    if many != isinstance(linkage, list) or (not many and not isinstance(linkage, dict)):
        shape = "an array of resource identifiers" if many else "a resource identifier"
        raise ApiError(400, "Malformed relationship", f"{name}.data must be {shape}.", pointer=f"{pointer}/data")
    ids = []
    for index, item in enumerate(linkage if many else [linkage]):
        item_pointer = f"{pointer}/data/{index}" if many else f"{pointer}/data"
        if not isinstance(item, dict) or not isinstance(item.get("id"), str):
            raise ApiError(
                400, "Malformed relationship", "A resource identifier needs a string id.", pointer=item_pointer
            )
        if item.get("type") != resource_type:
            raise ApiError(
                409, "Wrong type", f"{name} must be {resource_type!r} resources.", pointer=f"{item_pointer}/type"
            )
        ids.append(item["id"])
    return ids
