"""``/broadcast-test-sends``: send a campaign's message to a few addresses now, and read what each got.

A create-and-read resource; the sending is :mod:`flask_broadcasts.engine.test_sends`::

    POST /api/broadcast-test-sends?o=1
    Content-Type: application/vnd.api+json

    {"data": {"type": "broadcast-test-sends",
              "attributes": {"to": ["ann@example.com", "+33612345678"]},
              "relationships": {"campaign": {"data": {"type": "broadcast-campaigns", "id": "7"}}}}}
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from marshmallow import ValidationError
from marshmallow_jsonapi import fields

from ..auth import current_tenant
from ..engine import test_sends as engine
from ..jsonapi import Payload, ResourceQuery, ResourceSchema, ResourceSpec, render_resource
from .base import resource_blueprint, resource_url

__all__ = ["TestSendSchema", "blueprint"]


class RecipientRelationship(fields.Relationship):
    """``recipient``: a customer or booking of the campaign's audience, of the host's type.

    Any resource type is accepted here; the engine checks it is the audience's.
    """

    #: Its type is the host's (``customers``, ``bookings``...): not pinned in the OpenAPI document.
    host_type = True

    def extract_value(self, data: Any) -> tuple[str, str]:
        if not isinstance(data, dict) or not isinstance(data.get("type"), str) or "id" not in data:
            raise ValidationError("Must have a `type` and an `id`.")
        return data["type"], str(data["id"])

    def get_resource_linkage(self, value: Any) -> dict[str, str]:
        type_, id_ = value
        return {"type": type_, "id": id_}


class TestSendSchema(ResourceSchema):
    """A test send on the wire (type ``broadcast-test-sends``)."""

    __test__ = False  # not a pytest class, whatever its name

    error_messages = {"unknown": "Unknown or read-only attribute."}

    id = fields.Str(dump_only=True)
    to = fields.List(
        fields.Str(),
        required=True,
        metadata={"description": "1 to 10 e-mail addresses and/or E.164 mobile numbers; the channel follows each."},
    )
    results = fields.List(
        fields.Dict(),
        dump_only=True,
        metadata={"description": "One per address: {to, channel, status (sent, refused, unknown), error}."},
    )
    created_at = fields.DateTime(dump_only=True)
    campaign = fields.Relationship(
        type_="broadcast-campaigns", attribute="campaign_id", include_resource_linkage=True, required=True
    )
    recipient = RecipientRelationship(
        type_="customers",
        include_resource_linkage=True,
        metadata={"description": "The audience member whose bindings are used (default: its first member)."},
    )

    class Meta:
        type_ = "broadcast-test-sends"


TEST_SEND = ResourceSpec(schema=TestSendSchema)

blueprint = resource_blueprint("broadcast_test_sends", __name__, description="Test sends of a campaign")


@blueprint.route("/broadcast-test-sends")
class TestSends(MethodView):
    """``/broadcast-test-sends``: send a test."""

    __test__ = False

    @blueprint.jsonapi_create(TestSendSchema)
    def post(self, payload: Payload) -> Any:
        """Send a campaign's message to a few addresses now

        Rendered with the bindings of ``recipient`` (default the audience's first
        member), subject prefixed ``[Test] ``, in any campaign status; never a
        broadcast-message, never counted. ``BROADCASTS_TEST_SEND_LIMIT`` per
        organization per hour, then 429 with ``Retry-After``.
        """
        organization_id = current_tenant().organization_id
        values = payload.values
        test_send = engine.create_test_send(
            organization_id, values["campaign_id"], values["to"], recipient=values.get("recipient")
        )
        location = resource_url("broadcast_test_sends.TestSendItem", test_send.id, organization_id)
        return render_resource(test_send, TestSendSchema, status=201, location=location)


@blueprint.route("/broadcast-test-sends/<id>")
class TestSendItem(MethodView):
    """``/broadcast-test-sends/<id>``: one test send and what each address got."""

    __test__ = False

    @blueprint.jsonapi_resource(TEST_SEND)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a test send"""
        return render_resource(engine.get_test_send(current_tenant().organization_id, id), query)
