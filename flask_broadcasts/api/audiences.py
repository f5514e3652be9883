"""``/broadcast-audiences``: the JSON:API resource over :mod:`flask_broadcasts.services.audiences`.

``include=community`` is rendered by the host's community serializer (the community
resource is the host's, not ours: its type is ``CommunitySource.resource_type``, e.g.
``communities``); every audience carries ``meta.member_count``, the number of
recipients it reaches now.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import marshmallow as ma
from flask import request
from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import current_tenant
from ..errors import BroadcastsError
from ..host import CommunitySource
from ..jsonapi import (
    CollectionQuery,
    CollectionSpec,
    Payload,
    ResourceQuery,
    ResourceSchema,
    ResourceSpec,
    no_content,
    paginate,
    render_page,
    render_resource,
)
from ..jsonapi.query import parse_resource_query
from ..models import BroadcastAudience
from ..services import audiences as service
from ..state import get_state
from ._fields import Flag, Mapping, Text
from .base import resource_blueprint, resource_url

__all__ = ["BroadcastAudienceSchema", "blueprint"]


class CommunityRelationship(fields.Relationship):
    """The ``community`` relationship, typed with the host's ``CommunitySource.resource_type``.

    Read when a request is served (the source may be set after the schema is defined), so
    linkage, the type a request document must send and the included resource agree;
    ``communities`` outside a request or without a community source.
    """

    #: Its type is the host's: the OpenAPI document does not pin it to one value.
    host_type = True

    @property
    def type_(self) -> str:
        try:
            source = get_state().extension.community_source
        except RuntimeError:  # no app (the OpenAPI document is built at registration)
            source = None
        return source.resource_type if source is not None else self._default_type

    @type_.setter
    def type_(self, value: str) -> None:
        self._default_type = value


class BroadcastAudienceSchema(ResourceSchema):
    """A ``broadcast-audiences`` resource."""

    id = fields.Str(dump_only=True)
    name = Text(metadata={"description": "Audience name (required)."})
    audience_type = Text(metadata={"description": "customers, bookings or community (required)."})
    filters = Mapping(
        metadata={"description": "The host's customer or booking filters (the same as its /customers, /bookings)."}
    )
    is_template = Flag(metadata={"description": "A reusable audience (only listing and filtering differ)."})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    community = CommunityRelationship(
        type_=CommunitySource.resource_type,
        attribute="community_id",
        include_resource_linkage=True,
        metadata={"description": "Required for the community type."},
    )

    class Meta:
        type_ = "broadcast-audiences"


class AudienceFilters(ma.Schema):
    """The ``filter[...]`` parameters of the audience list."""

    search = ma.fields.Str(metadata={"description": "Case-insensitive part of the name."})
    audience_type = ma.fields.Str()
    is_template = ma.fields.Bool(metadata={"description": "true: reusable audiences only."})


def include_community(audiences: Sequence[BroadcastAudience]) -> dict[str, Any]:
    """The host's community resource object of each community audience."""
    source = get_state().extension.community_source
    resolved: dict[str, Any] = {}
    for audience in audiences:
        community = service.get_audience_community(audience)
        resolved[str(audience.id)] = (
            source.serialize(community) if community is not None and source is not None else None
        )
    return resolved


def member_meta(audience: BroadcastAudience) -> dict[str, Any]:
    """The ``meta.member_count`` of an audience (``None`` when the host rejects its filters)."""
    try:
        count: int | None = service.audience_member_count(audience)
    except BroadcastsError:  # the host no longer accepts its stored filters
        count = None
    return {"member_count": count}


AUDIENCE = ResourceSpec(schema=BroadcastAudienceSchema, external_includes={"community": include_community})
AUDIENCES = CollectionSpec(
    schema=BroadcastAudienceSchema,
    external_includes={"community": include_community},
    sorts={"name": BroadcastAudience.name, "created_at": BroadcastAudience.created_at},
    default_sort="-created_at",
    filters=AudienceFilters,
)

blueprint = resource_blueprint("broadcast_audiences", __name__, description="Broadcast audiences")


def _values(payload: Payload) -> dict[str, Any]:
    # The relationship loads under its attribute, community_id.
    return payload.values


@blueprint.route("/broadcast-audiences")
class Audiences(MethodView):
    """``/broadcast-audiences``: list and create audiences."""

    @blueprint.jsonapi_collection(AUDIENCES)
    def get(self, query: CollectionQuery) -> Any:
        """List audiences (filter[search], filter[audience_type], filter[is_template]; include=community)"""
        stmt = service.list_audiences(current_tenant().organization_id, **query.filters)
        return render_page(paginate(get_state().session, stmt, query), query, resource_meta=member_meta)

    @blueprint.jsonapi_create(BroadcastAudienceSchema)
    def post(self, payload: Payload) -> Any:
        """Create an audience (include=community)"""
        query = parse_resource_query(AUDIENCE, request.args)
        organization_id = current_tenant().organization_id
        audience = service.create_audience(organization_id, _values(payload))
        location = resource_url("broadcast_audiences.AudienceItem", audience.id, organization_id)
        return render_resource(audience, query, status=201, resource_meta=member_meta, location=location)


@blueprint.route("/broadcast-audiences/<id>")
class AudienceItem(MethodView):
    """``/broadcast-audiences/<id>``: one audience."""

    @blueprint.jsonapi_resource(AUDIENCE)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch an audience (include=community)"""
        audience = service.get_audience(current_tenant().organization_id, id)
        return render_resource(audience, query, resource_meta=member_meta)

    @blueprint.jsonapi_update(BroadcastAudienceSchema)
    def patch(self, payload: Payload, id: str) -> Any:
        """Update an audience (partial; the result is validated as a whole)"""
        audience = service.update_audience(current_tenant().organization_id, id, _values(payload))
        return render_resource(audience, BroadcastAudienceSchema, resource_meta=member_meta)

    @blueprint.jsonapi_delete(BroadcastAudienceSchema)
    def delete(self, id: str) -> Any:
        """Delete an audience (409 while a campaign uses it)"""
        service.delete_audience(current_tenant().organization_id, id)
        return no_content()
