"""``/broadcast-consent-events``: the organization's consent records, read-only, over
:mod:`flask_broadcasts.services.consent`.

Each record says when an address's consent was withdrawn or given again, how
(``one_click``, ``page``, ``api``, ``import``, ``provider``), for which message or by which
user. Nobody writes them through the API: the extension appends one for every
suppression and re-subscribe. The list pages with a keyset cursor (``page[after]``).
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
    ResourceQuery,
    ResourceSchema,
    ResourceSpec,
    paginate,
    render_page,
    render_resource,
)
from ..models import BroadcastConsentEvent
from ..services import consent as service
from ..services.addresses import CHANNELS
from ..state import get_state
from ..statuses import ConsentAction, ConsentMethod, SuppressionReason
from .base import resource_blueprint

__all__ = ["ConsentEventSchema", "blueprint"]

_ACTIONS = tuple(action.value for action in ConsentAction)
_METHODS = tuple(method.value for method in ConsentMethod)
_REASONS = tuple(reason.value for reason in SuppressionReason)


class ConsentEventSchema(ResourceSchema):
    """A ``broadcast-consent-events`` resource (every attribute read-only)."""

    id = fields.Str(dump_only=True)
    channel = fields.Str(dump_only=True, metadata={"description": "mail or sms."})
    address = fields.Str(dump_only=True, metadata={"description": "The address, in its stored form."})
    action = fields.Str(dump_only=True, metadata={"description": f"One of {', '.join(_ACTIONS)}."})
    method = fields.Str(dump_only=True, metadata={"description": f"How: one of {', '.join(_METHODS)}."})
    reason = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": f"A withdrawal's suppression reason: {', '.join(_REASONS)}; null for given."},
    )
    message_id = fields.Str(
        dump_only=True, allow_none=True, metadata={"description": "The message whose link was followed, if any."}
    )
    user_id = fields.Str(dump_only=True, allow_none=True, metadata={"description": "The user who acted, if any."})
    reference = fields.Str(
        dump_only=True, allow_none=True, metadata={"description": "The provider's reference or the imported file."}
    )
    ip_hmac = fields.Str(
        dump_only=True,
        allow_none=True,
        metadata={"description": "A keyed HMAC-SHA256 of the requester's IP (never the IP itself)."},
    )
    created_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-consent-events"


class ConsentEventFilters(ma.Schema):
    """The ``filter[...]`` parameters of the list."""

    channel = ma.fields.Str(validate=ma.validate.OneOf(CHANNELS))
    address = ma.fields.Str(metadata={"description": "An address, in any case or spacing of its channel's form."})
    action = ma.fields.Str(validate=ma.validate.OneOf(_ACTIONS))
    method = ma.fields.Str(validate=ma.validate.OneOf(_METHODS))


CONSENT_EVENT = ResourceSpec(schema=ConsentEventSchema)
CONSENT_EVENTS = CollectionSpec(
    schema=ConsentEventSchema,
    sorts={"created_at": BroadcastConsentEvent.created_at},
    default_sort="-created_at",
    filters=ConsentEventFilters,
    pagination="cursor",
)

blueprint = resource_blueprint("broadcast_consent_events", __name__, description="Broadcast consent events")


@blueprint.route("/broadcast-consent-events")
class ConsentEvents(MethodView):
    """``/broadcast-consent-events``: list the records."""

    @blueprint.jsonapi_collection(CONSENT_EVENTS)
    def get(self, query: CollectionQuery) -> Any:
        """List the consent records (filter[address], filter[channel], filter[action], filter[method]; cursor pagination)"""
        stmt = service.list_consent_events(current_tenant().organization_id, **query.filters)
        return render_page(paginate(get_state().session, stmt, query), query)


@blueprint.route("/broadcast-consent-events/<id>")
class ConsentEventItem(MethodView):
    """``/broadcast-consent-events/<id>``: one record."""

    @blueprint.jsonapi_resource(CONSENT_EVENT)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a consent record"""
        return render_resource(service.get_consent_event(current_tenant().organization_id, id), query)
