"""``/broadcast-suppressions``: the organization's suppression list over
:mod:`flask_broadcasts.services.suppressions`.

A user may add an address by hand (``reason`` ``manual``, 201; a duplicate is a 409
``already_suppressed``) and delete a suppression (204: the address is re-subscribed); the
other reasons are recorded by the extension itself (unsubscribe links, provider reports).
The list pages with a keyset cursor (``page[after]``): it grows with every unsubscribe.
"""

from __future__ import annotations

from typing import Any

import marshmallow as ma
from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import current_tenant
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
from ..models import BroadcastSuppression
from ..services import suppressions as service
from ..state import get_state
from ..statuses import SuppressionReason
from ._fields import Text
from .base import resource_blueprint, resource_url

__all__ = ["SuppressionSchema", "blueprint"]

_REASONS = tuple(reason.value for reason in SuppressionReason)


class SuppressionSchema(ResourceSchema):
    """A ``broadcast-suppressions`` resource."""

    error_messages = {"unknown": "Unknown or read-only attribute."}

    id = fields.Str(dump_only=True)
    channel = Text(metadata={"description": "mail or sms (required)."})
    address = Text(
        metadata={"description": "The e-mail address (stored lower-cased) or the mobile number in E.164 (required)."}
    )
    reason = Text(
        metadata={"description": f"One of {', '.join(_REASONS)}; a request may only send manual (the default)."}
    )
    source = fields.Dict(
        dump_only=True,
        metadata={"description": 'What added it: {"kind": "message"|"provider"|"user"|"import", "id": ...}.'},
    )
    created_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-suppressions"


class SuppressionFilters(ma.Schema):
    """The ``filter[...]`` parameters of the list."""

    channel = ma.fields.Str(validate=ma.validate.OneOf(service.CHANNELS))
    address = ma.fields.Str(metadata={"description": "An address, in any case or spacing of its channel's form."})
    reason = ma.fields.Str(validate=ma.validate.OneOf(_REASONS))


SUPPRESSION = ResourceSpec(schema=SuppressionSchema)
SUPPRESSIONS = CollectionSpec(
    schema=SuppressionSchema,
    sorts={"created_at": BroadcastSuppression.created_at, "address": BroadcastSuppression.address},
    default_sort="-created_at",
    filters=SuppressionFilters,
    pagination="cursor",
)

blueprint = resource_blueprint("broadcast_suppressions", __name__, description="Broadcast suppressions")


@blueprint.route("/broadcast-suppressions")
class Suppressions(MethodView):
    """``/broadcast-suppressions``: list and add suppressions."""

    @blueprint.jsonapi_collection(SUPPRESSIONS)
    def get(self, query: CollectionQuery) -> Any:
        """List the suppression list (filter[channel], filter[address], filter[reason]; cursor pagination)"""
        stmt = service.list_suppressions(current_tenant().organization_id, **query.filters)
        return render_page(paginate(get_state().session, stmt, query), query)

    @blueprint.jsonapi_create(SuppressionSchema)
    def post(self, payload: Payload) -> Any:
        """Add an address by hand (reason manual; 409 already_suppressed)"""
        organization_id = current_tenant().organization_id
        suppression = service.create_suppression(organization_id, payload.values, user_id=current_tenant().principal_id)
        location = resource_url("broadcast_suppressions.SuppressionItem", suppression.id, organization_id)
        return render_resource(suppression, SuppressionSchema, status=201, location=location)


@blueprint.route("/broadcast-suppressions/<id>")
class SuppressionItem(MethodView):
    """``/broadcast-suppressions/<id>``: one suppression."""

    @blueprint.jsonapi_resource(SUPPRESSION)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a suppression"""
        return render_resource(service.get_suppression(current_tenant().organization_id, id), query)

    @blueprint.jsonapi_delete(SuppressionSchema)
    def delete(self, id: str) -> Any:
        """Re-subscribe: remove the address from the list"""
        tenant = current_tenant()
        service.delete_suppression(tenant.organization_id, id, user_id=tenant.principal_id)
        return no_content()
