"""Broadcast audiences: create, read, list, update and delete, scoped to an organization.

An audience names an ``audience_type`` registered by the host (``customers``,
``bookings`` — :meth:`~flask_broadcasts.Broadcasts.add_audience_source` — and
``community`` when a community source is set). Its ``filters`` are validated by the
source's own ``filter_schema`` (the one behind the host's ``/customers`` endpoint)
and stored as sent, so the audience is re-evaluated at every send. A ``community``
audience names a community of the same organization and takes no filters.

``is_template`` only classifies (``filter[is_template]``), as for templates.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# The host's filter schemas are marshmallow schemas (the host contract); this is the
# only marshmallow this module needs, to read their validation errors.
from marshmallow import ValidationError
from sqlalchemy import Select, func, select

from ..errors import ConflictError, InvalidInputError, NotFoundError
from ..models import BroadcastAudience, BroadcastCampaign
from ..state import get_state
from ._common import RELATIONSHIPS, Problems, contains, get_scoped, not_found_at, pointer

__all__ = [
    "ATTRIBUTES",
    "COMMUNITY",
    "audience_member_count",
    "audience_recipients",
    "create_audience",
    "delete_audience",
    "get_audience",
    "get_audience_community",
    "list_audiences",
    "update_audience",
    "validate_audience",
]

COMMUNITY = "community"
ATTRIBUTES: tuple[str, ...] = ("name", "audience_type", "filters", "is_template", "community_id")
MAX_NAME_LENGTH = 200
COMMUNITY_POINTER = f"{RELATIONSHIPS}/community"
_DEFAULTS: Mapping[str, Any] = {"filters": {}, "is_template": False, "community_id": None}


def _marshmallow_problems(problems: Problems, messages: Any, path: tuple[str, ...]) -> None:
    """One problem per failing filter key (nested keys become deeper pointers)."""
    if isinstance(messages, Mapping):
        for key, inner in messages.items():
            sub = path if key == "_schema" else (*path, str(key))
            _marshmallow_problems(problems, inner, sub)
        return
    if isinstance(messages, list | tuple) and messages and all(isinstance(m, str) for m in messages):
        detail = " ".join(messages)
    elif isinstance(messages, list | tuple):
        for inner in messages:
            _marshmallow_problems(problems, inner, path)
        return
    else:
        detail = str(messages)
    code = "unknown_filter" if detail == "Unknown field." else "invalid_filter"
    if code == "unknown_filter":
        detail = f"Unknown filter {path[-1]!r} for this audience type."
    problems.add(detail, pointer(*path), code)


def load_filters(audience_type: str, filters: Mapping[str, Any]) -> dict[str, Any]:
    """``filters`` loaded by the audience type's filter schema (typed values, e.g. dates).

    :raises InvalidInputError: one error per failing key, at ``/data/attributes/filters/<key>``.
    """
    if audience_type == COMMUNITY:
        return {}
    schema_class = get_state().extension.audience_sources[audience_type].filter_schema
    if schema_class is None:
        # A host that registers no schema validates in its own filter function.
        return dict(filters)
    try:
        return dict(schema_class().load(dict(filters)))
    except ValidationError as err:
        problems = Problems()
        _marshmallow_problems(problems, err.normalized_messages(), ("filters",))
        problems.raise_if_any()
        raise  # pragma: no cover - a ValidationError always carries messages


def validate_audience(values: Mapping[str, Any], organization_id: str) -> dict[str, Any]:
    """Check an audience's complete set of attributes; return the values to store.

    Every problem is reported at once (:func:`~._common.raise_problems`): a community that
    does not exist in the organization is a 404 at ``/data/relationships/community/data``.
    """
    extension = get_state().extension
    problems = Problems()
    data: dict[str, Any] = {}
    for key in values:
        if key not in ATTRIBUTES:
            problems.add(f"Unknown attribute {key!r}.", pointer(str(key)), "unknown_attribute")

    name = values.get("name")
    if name is None or (isinstance(name, str) and not name.strip()):
        problems.add("A name is required.", pointer("name"), "required")
    elif not isinstance(name, str):
        problems.add("Must be a string.", pointer("name"), "invalid_type")
    elif len(name.strip()) > MAX_NAME_LENGTH:
        problems.add(f"Must be at most {MAX_NAME_LENGTH} characters.", pointer("name"), "too_long")
    else:
        data["name"] = name.strip()

    is_template = values.get("is_template")
    if is_template is not None and not isinstance(is_template, bool):
        problems.add("Must be true or false.", pointer("is_template"), "invalid_type")
    data["is_template"] = is_template is True

    audience_type = values.get("audience_type")
    types = extension.audience_types
    valid_type = isinstance(audience_type, str) and audience_type in types
    if audience_type is None or audience_type == "":
        problems.add(f"An audience type is required: {', '.join(types)}.", pointer("audience_type"), "required")
    elif not valid_type:
        problems.add(
            f"Unknown audience type {audience_type!r}; available: {', '.join(types)}.",
            pointer("audience_type"),
            "invalid_audience_type",
        )
    data["audience_type"] = audience_type

    filters = values.get("filters")
    if filters is None:
        filters = {}
    if not isinstance(filters, Mapping):
        problems.add("Must be an object of filter values.", pointer("filters"), "invalid_type")
    elif valid_type and audience_type == COMMUNITY and filters:
        problems.add("A community audience reaches all members and takes no filters.", pointer("filters"), "no_filters")
    elif valid_type and isinstance(audience_type, str):
        try:
            load_filters(audience_type, filters)
        except InvalidInputError as err:
            for error in err.errors:
                problems.add(error.detail, error.pointer or pointer("filters"), error.error_code or "invalid_filter")
    data["filters"] = dict(filters) if isinstance(filters, Mapping) else {}

    community_id = values.get("community_id")
    if community_id is not None and not isinstance(community_id, str | int):
        problems.add("Must be a resource identifier.", COMMUNITY_POINTER, "invalid_type")
    elif valid_type and audience_type == COMMUNITY and community_id in (None, ""):
        problems.add("A community audience needs its community.", COMMUNITY_POINTER, "required")
    elif valid_type and audience_type != COMMUNITY and community_id not in (None, ""):
        problems.add("Only community audiences have a community.", COMMUNITY_POINTER, "not_allowed")
    data["community_id"] = str(community_id) if audience_type == COMMUNITY and community_id else None

    if data["community_id"] is not None and not any(error.pointer == COMMUNITY_POINTER for error in problems):
        source = extension.community_source
        if source is None or source.get(data["community_id"], str(organization_id)) is None:
            problems.missing(not_found_at("community", "community", data["community_id"]))
    problems.raise_if_any()
    return data


def create_audience(organization_id: str, values: Mapping[str, Any]) -> BroadcastAudience:
    """Validate ``values`` (attributes plus ``community_id``) and store a new audience."""
    data = validate_audience({**_DEFAULTS, **values}, organization_id)
    audience = BroadcastAudience(organization_id=str(organization_id), **data)
    session = get_state().session
    session.add(audience)
    session.commit()
    return audience


def get_audience(organization_id: str, audience_id: Any) -> BroadcastAudience:
    """The audience ``audience_id`` of the organization, else :class:`NotFoundError`."""
    return get_scoped(BroadcastAudience, organization_id, audience_id, "broadcast audience")


def list_audiences(
    organization_id: str,
    *,
    search: str | None = None,
    audience_type: str | None = None,
    is_template: bool | None = None,
) -> Select:
    """The ``Select`` of the organization's audiences, filtered; the caller sorts and pages."""
    stmt = select(BroadcastAudience).where(BroadcastAudience.organization_id == str(organization_id))
    if search and search.strip():
        stmt = stmt.where(contains(BroadcastAudience.name, search.strip()))
    if audience_type is not None:
        stmt = stmt.where(BroadcastAudience.audience_type == audience_type)
    if is_template is not None:
        stmt = stmt.where(BroadcastAudience.is_template.is_(is_template))
    return stmt


def update_audience(organization_id: str, audience_id: Any, changes: Mapping[str, Any]) -> BroadcastAudience:
    """Apply a partial update, validated as a whole. Changing ``audience_type`` away
    from ``community`` drops the community; to another dynamic type, send ``filters`` too."""
    audience = get_audience(organization_id, audience_id)
    current = {name: getattr(audience, name) for name in ATTRIBUTES}
    if "audience_type" in changes and changes["audience_type"] != audience.audience_type:
        if "community_id" not in changes:
            current["community_id"] = None
        if "filters" not in changes:
            current["filters"] = {}
    data = validate_audience({**current, **changes}, organization_id)
    for name, value in data.items():
        setattr(audience, name, value)
    get_state().session.commit()
    return audience


def delete_audience(organization_id: str, audience_id: Any) -> None:
    """Delete an audience; 409 while a campaign uses it."""
    audience = get_audience(organization_id, audience_id)
    session = get_state().session
    used = session.scalar(select(func.count()).where(BroadcastCampaign.audience_id == audience.id))
    if used:
        raise ConflictError(
            f"The audience is used by {used} campaign(s); delete or change them first.", code="audience_in_use"
        )
    session.delete(audience)
    session.commit()


def get_audience_community(audience: BroadcastAudience) -> Any | None:
    """The host's community of a community audience (``None`` otherwise, or if it is gone)."""
    source = get_state().extension.community_source
    if audience.community_id is None or source is None:
        return None
    return source.get(audience.community_id, audience.organization_id)


def audience_recipients(audience: BroadcastAudience) -> Select:
    """The query of the audience's recipients now, built by the host (never a list).

    Stored filters are loaded again by the source's schema, so the host's filter
    function always receives typed values; filters the host no longer accepts raise
    :class:`InvalidInputError`.
    """
    extension = get_state().extension
    organization_id = audience.organization_id
    if audience.audience_type == COMMUNITY:
        community = extension.community_source
        if community is None:
            raise NotFoundError("Community audiences are not available.", code="no_community_source")
        member_source = extension.audience_source(COMMUNITY)
        members = select(member_source.model).options(*member_source.load_options)
        return community.members(members, audience.community_id or "", organization_id)
    source = extension.audience_sources.get(audience.audience_type)
    if source is None:
        raise NotFoundError(
            f"Audience type {audience.audience_type!r} is no longer registered.", code="unknown_audience_type"
        )
    return source.recipients(load_filters(audience.audience_type, audience.filters or {}), organization_id)


def audience_member_count(audience: BroadcastAudience) -> int:
    """How many recipients the audience reaches now (one ``COUNT`` over the host's query)."""
    stmt = audience_recipients(audience).order_by(None)
    return int(get_state().session.scalar(select(func.count()).select_from(stmt.subquery())) or 0)
