"""``/broadcast-webhooks`` and ``/broadcast-webhook-deliveries``: the JSON:API resources over
:mod:`flask_broadcasts.webhooks.service`.

The actions ``rotate-secret`` and ``redeliver`` take ``POST`` only: unlike a campaign's
actions, which a dashboard link may fire, they make a new secret or a new request, which
no prefetching ``GET`` must do.
"""

from __future__ import annotations

import json
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
from ..models import BroadcastWebhook, BroadcastWebhookDelivery
from ..state import get_state
from ..webhooks import service
from ._fields import Flag, Strings, Text
from .base import resource_blueprint, resource_url

__all__ = ["BroadcastWebhookDeliverySchema", "BroadcastWebhookSchema", "blueprint"]


class BroadcastWebhookSchema(ResourceSchema):
    """A ``broadcast-webhooks`` resource."""

    error_messages = {"unknown": "Unknown or read-only attribute."}

    id = fields.Str(dump_only=True)
    url = Text(metadata={"description": "Where events are posted (https; checked against the SSRF guard)."})
    events = Strings(metadata={"description": "Event types to send (campaign.started, message.sent ...)."})
    active = Flag(metadata={"description": "false: nothing is sent (set back to true to reactivate)."})
    description = Text(metadata={"description": "Free text for the organization's own use."})
    secret = fields.Str(
        dump_only=True,
        metadata={
            "description": "The signing secret (``whsec_`` + base64): only in the answer to a creation or a rotate-secret."
        },
    )
    deactivated_at = fields.DateTime(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-webhooks"


class BroadcastWebhookDeliverySchema(ResourceSchema):
    """A ``broadcast-webhook-deliveries`` resource: one entry of the delivery log (read-only)."""

    id = fields.Str(dump_only=True)
    event_type = fields.Str(dump_only=True)
    event_id = fields.Str(
        dump_only=True, metadata={"description": "The webhook-id header (the same on every attempt)."}
    )
    status = fields.Str(dump_only=True, metadata={"description": "pending, delivered or failed."})
    attempts = fields.Int(dump_only=True)
    response_status = fields.Int(dump_only=True, metadata={"description": "HTTP status of the last answer."})
    duration_ms = fields.Int(dump_only=True, metadata={"description": "Duration of the last attempt."})
    error = fields.Str(dump_only=True)
    payload = fields.Function(lambda delivery: json.loads(delivery.payload), dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    last_attempt_at = fields.DateTime(dump_only=True)
    next_attempt_at = fields.DateTime(dump_only=True)
    completed_at = fields.DateTime(dump_only=True)
    webhook = fields.Relationship(
        type_="broadcast-webhooks", attribute="webhook_id", include_resource_linkage=True, dump_only=True
    )

    class Meta:
        type_ = "broadcast-webhook-deliveries"


class DeliveryFilters(ma.Schema):
    """The ``filter[...]`` parameters of the delivery log."""

    webhook = ma.fields.Str(metadata={"description": "Deliveries of one webhook (its id)."})
    status = ma.fields.Str(metadata={"description": "pending, delivered or failed."})


WEBHOOK = ResourceSpec(schema=BroadcastWebhookSchema)
WEBHOOKS = CollectionSpec(
    schema=BroadcastWebhookSchema,
    sorts={"created_at": BroadcastWebhook.created_at},
    default_sort="-created_at",
)
DELIVERY = ResourceSpec(schema=BroadcastWebhookDeliverySchema)
DELIVERIES = CollectionSpec(
    schema=BroadcastWebhookDeliverySchema,
    sorts={"created_at": BroadcastWebhookDelivery.created_at},
    default_sort="-created_at",
    filters=DeliveryFilters,
)

blueprint = resource_blueprint("broadcast_webhooks", __name__, description="Outbound webhooks")


@blueprint.route("/broadcast-webhooks")
class Webhooks(MethodView):
    """``/broadcast-webhooks``: list and create webhooks."""

    @blueprint.jsonapi_collection(WEBHOOKS)
    def get(self, query: CollectionQuery) -> Any:
        """List webhooks"""
        return render_page(
            paginate(get_state().session, service.list_webhooks(current_tenant().organization_id), query), query
        )

    @blueprint.jsonapi_create(BroadcastWebhookSchema)
    def post(self, payload: Payload) -> Any:
        """Create a webhook (the answer carries its secret, this once)"""
        organization_id = current_tenant().organization_id
        webhook = service.create_webhook(organization_id, payload.attributes)
        location = resource_url("broadcast_webhooks.WebhookItem", webhook.id, organization_id)
        return render_resource(webhook, BroadcastWebhookSchema, status=201, location=location)


@blueprint.route("/broadcast-webhooks/<id>")
class WebhookItem(MethodView):
    """``/broadcast-webhooks/<id>``: one webhook."""

    @blueprint.jsonapi_resource(WEBHOOK)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a webhook"""
        return render_resource(service.get_webhook(current_tenant().organization_id, id), query)

    @blueprint.jsonapi_update(BroadcastWebhookSchema)
    def patch(self, payload: Payload, id: str) -> Any:
        """Update a webhook (active: true reactivates a deactivated one)"""
        webhook = service.update_webhook(current_tenant().organization_id, id, payload.attributes)
        return render_resource(webhook, BroadcastWebhookSchema)

    @blueprint.jsonapi_delete(BroadcastWebhookSchema)
    def delete(self, id: str) -> Any:
        """Delete a webhook and its delivery log"""
        service.delete_webhook(current_tenant().organization_id, id)
        return no_content()


@blueprint.route("/broadcast-webhooks/<id>/rotate-secret")
class WebhookRotateSecret(MethodView):
    """``/broadcast-webhooks/<id>/rotate-secret``: a new signing secret."""

    jsonapi_action = True

    @blueprint.jsonapi_action(WEBHOOK)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Rotate the signing secret

        The answer carries the new secret, this once. The old one keeps signing (a second
        ``v1,`` signature in ``webhook-signature``) for ``BROADCASTS_WEBHOOK_SECRET_GRACE``.
        """
        return render_resource(service.rotate_secret(current_tenant().organization_id, id), query)


@blueprint.route("/broadcast-webhook-deliveries")
class Deliveries(MethodView):
    """``/broadcast-webhook-deliveries``: the delivery log."""

    @blueprint.jsonapi_collection(DELIVERIES)
    def get(self, query: CollectionQuery) -> Any:
        """List deliveries (filter[webhook], filter[status])"""
        stmt = service.list_deliveries(current_tenant().organization_id, **query.filters)
        return render_page(paginate(get_state().session, stmt, query), query)


@blueprint.route("/broadcast-webhook-deliveries/<id>")
class DeliveryItem(MethodView):
    """``/broadcast-webhook-deliveries/<id>``: one delivery."""

    @blueprint.jsonapi_resource(DELIVERY)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a delivery"""
        return render_resource(service.get_delivery(current_tenant().organization_id, id), query)


@blueprint.route("/broadcast-webhook-deliveries/<id>/redeliver")
class DeliveryRedeliver(MethodView):
    """``/broadcast-webhook-deliveries/<id>/redeliver``: send a delivery again."""

    jsonapi_action = True

    @blueprint.jsonapi_action(DELIVERY)
    def post(self, query: ResourceQuery, id: str) -> Any:
        """Redeliver

        A new delivery of the same body with the same ``webhook-id`` (receivers deduplicate
        on it), queued now; the answer is that new delivery. 409 ``webhook_inactive`` when
        the webhook is deactivated.
        """
        organization_id = current_tenant().organization_id
        copy = service.redeliver(organization_id, id)
        location = resource_url("broadcast_webhooks.DeliveryItem", copy.id, organization_id)
        return render_resource(copy, query, status=201, location=location)
