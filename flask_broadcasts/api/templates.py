"""``/broadcast-templates``: the JSON:API resource over :mod:`flask_broadcasts.services.templates`.

The schema checks JSON types only; every rule (required attributes, channels,
locales, placeholders...) lives in the service, so a client hears about all of a
document's problems in one 422.
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
from ..models import BroadcastTemplate
from ..services import templates as service
from ..state import get_state
from ._fields import Flag, Localized, Strings, Text
from .base import resource_blueprint, resource_url
from .files import BroadcastFileSchema  # noqa: F401 - the "files" relationship names it

__all__ = ["BroadcastTemplateSchema", "blueprint"]


class BroadcastTemplateSchema(ResourceSchema):
    """A ``broadcast-templates`` resource (``files`` is read-only: upload through
    ``POST /broadcast-templates/{id}/files``)."""

    id = fields.Str(dump_only=True)
    name = Text(metadata={"description": "Internal name (required)."})
    subject = Text(metadata={"description": "E-mail subject (required with mail); one line."})
    body = Text(metadata={"description": "HTML e-mail body (required with mail)."})
    body_short = Text(metadata={"description": "SMS body (required with sms)."})
    action_label = Text(metadata={"description": "Call-to-action button text."})
    action_url = Text(metadata={"description": "Call-to-action URL (http or https)."})
    channels = Strings(metadata={"description": '["mail"], ["sms"] or ["mail", "sms"] (required).'})
    is_template = Flag(metadata={"description": "A reusable template (only listing and filtering differ)."})
    binding_type = Text(
        metadata={
            "description": "Variable binding context (default customer, or the host's first when it offers no customer)."
        }
    )
    subject_i18n = Localized(metadata={"description": "Localized subjects by locale tag."})
    body_i18n = Localized(metadata={"description": "Localized bodies by locale tag."})
    body_short_i18n = Localized(metadata={"description": "Localized SMS bodies."})
    action_label_i18n = Localized(metadata={"description": "Localized button texts."})
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    files = fields.Relationship(
        type_="broadcast-files",
        schema="BroadcastFileSchema",
        many=True,
        include_resource_linkage=True,
        dump_only=True,
    )

    class Meta:
        type_ = "broadcast-templates"


class TemplateFilters(ma.Schema):
    """The ``filter[...]`` parameters of the template list."""

    search = ma.fields.Str(metadata={"description": "Case-insensitive part of the name."})
    binding_type = ma.fields.Str()
    is_template = ma.fields.Bool(metadata={"description": "true: reusable templates only."})


TEMPLATE = ResourceSpec(schema=BroadcastTemplateSchema, includes={"files"})
TEMPLATES = CollectionSpec(
    schema=BroadcastTemplateSchema,
    includes={"files"},
    sorts={"name": BroadcastTemplate.name, "created_at": BroadcastTemplate.created_at},
    default_sort="-created_at",
    filters=TemplateFilters,
)

blueprint = resource_blueprint("broadcast_templates", __name__, description="Broadcast templates")


@blueprint.route("/broadcast-templates")
class Templates(MethodView):
    """``/broadcast-templates``: list and create templates."""

    @blueprint.jsonapi_collection(TEMPLATES)
    def get(self, query: CollectionQuery) -> Any:
        """List templates (filter[search], filter[binding_type], filter[is_template]; include=files)"""
        stmt = service.list_templates(current_tenant().organization_id, **query.filters)
        return render_page(paginate(get_state().session, stmt, query), query)

    @blueprint.jsonapi_create(BroadcastTemplateSchema)
    def post(self, payload: Payload) -> Any:
        """Create a template"""
        organization_id = current_tenant().organization_id
        template = service.create_template(organization_id, payload.attributes)
        location = resource_url("broadcast_templates.TemplateItem", template.id, organization_id)
        return render_resource(template, BroadcastTemplateSchema, status=201, location=location)


@blueprint.route("/broadcast-templates/<id>")
class TemplateItem(MethodView):
    """``/broadcast-templates/<id>``: one template."""

    @blueprint.jsonapi_resource(TEMPLATE)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch a template (include=files)"""
        return render_resource(service.get_template(current_tenant().organization_id, id), query)

    @blueprint.jsonapi_update(BroadcastTemplateSchema)
    def patch(self, payload: Payload, id: str) -> Any:
        """Update a template (partial; the result is validated as a whole)"""
        template = service.update_template(current_tenant().organization_id, id, payload.attributes)
        return render_resource(template, BroadcastTemplateSchema)

    @blueprint.jsonapi_delete(BroadcastTemplateSchema)
    def delete(self, id: str) -> Any:
        """Delete a template and its files (409 while a campaign uses it)"""
        service.delete_template(current_tenant().organization_id, id)
        return no_content()
