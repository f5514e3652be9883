"""Schemas of the resources a campaign includes (``template``, ``template.files``, ``audience``).

Stand-ins until the templates/audiences resources land (``api/templates.py``,
``api/audiences.py``); then this module re-exports theirs so includes render the same
resource objects as ``GET /broadcast-templates/{id}``.
"""

from __future__ import annotations

from marshmallow_jsonapi import fields

from ..jsonapi import ResourceSchema

__all__ = ["AudienceSchema", "FileSchema", "TemplateSchema"]


class FileSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    filename = fields.Str(dump_only=True)
    content_type = fields.Str(dump_only=True)
    size = fields.Int(dump_only=True)
    created_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-files"


class TemplateSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    subject = fields.Str(dump_only=True)
    body = fields.Str(dump_only=True)
    body_short = fields.Str(dump_only=True)
    action_label = fields.Str(dump_only=True)
    action_url = fields.Str(dump_only=True)
    channels = fields.List(fields.Str(), dump_only=True)
    is_template = fields.Bool(dump_only=True)
    binding_type = fields.Str(dump_only=True)
    subject_i18n = fields.Dict(dump_only=True)
    body_i18n = fields.Dict(dump_only=True)
    body_short_i18n = fields.Dict(dump_only=True)
    action_label_i18n = fields.Dict(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)
    files = fields.Relationship(
        type_="broadcast-files", schema=FileSchema, many=True, include_resource_linkage=True, dump_only=True
    )

    class Meta:
        type_ = "broadcast-templates"


class AudienceSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    name = fields.Str(dump_only=True)
    audience_type = fields.Str(dump_only=True)
    filters = fields.Dict(dump_only=True)
    is_template = fields.Bool(dump_only=True)
    created_at = fields.DateTime(dump_only=True)
    updated_at = fields.DateTime(dump_only=True)

    class Meta:
        type_ = "broadcast-audiences"
