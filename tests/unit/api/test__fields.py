"""flask_broadcasts.api._fields: schema fields that document a JSON type but leave checking to the service.

A client relies on one 422 listing every problem of its document: a value of the wrong type
must reach the resource's service (which checks types and rules together) instead of being
refused by marshmallow first. It also relies on the OpenAPI document still giving each
attribute's JSON type."""

from __future__ import annotations

import marshmallow as ma
import pytest
from apispec import APISpec
from apispec.ext.marshmallow import MarshmallowPlugin
from marshmallow_jsonapi import fields

from flask_broadcasts.api._fields import Flag, Localized, Mapping, Strings, Text
from flask_broadcasts.jsonapi import ResourceSchema


class ThingSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    name = Text()
    active = Flag()
    tags = Strings()
    options = Mapping()
    subjects = Localized()
    # An ordinary field, for comparison: marshmallow checks its type itself.
    count = fields.Int()

    class Meta:
        type_ = "things"


def _load(**attributes):
    return ThingSchema().load({"data": {"type": "things", "attributes": attributes}})


def test_values_of_the_wrong_type_reach_the_service_unchanged():
    wrong = {"name": 5, "active": "yes", "tags": "a,b", "options": [1, 2], "subjects": {"fr": 1}}
    assert _load(**wrong) == wrong
    # What the deferred fields prevent: a field of marshmallow's refuses on its own.
    with pytest.raises(ma.ValidationError):
        _load(count="many")


def test_well_typed_values_load_and_dump_as_they_are():
    values = {"name": "n", "active": True, "tags": ["a"], "options": {"k": [1]}, "subjects": {"fr": "Bonjour"}}
    assert _load(**values) == values
    dumped = ThingSchema().dump({"id": 1, **values})["data"]["attributes"]
    assert {key: dumped[key] for key in values} == values


def test_the_openapi_document_gives_each_json_type():
    plugin = MarshmallowPlugin()
    APISpec("t", "1", "3.1.0", plugins=[plugin])
    schema = ThingSchema()
    properties = {name: plugin.converter.field2property(schema.fields[name]) for name in ThingSchema._declared_fields}
    # Optional attributes accept null (ResourceSchema): OpenAPI 3.1 lists both types.
    assert properties["name"]["type"] == ["string", "null"]
    assert properties["active"]["type"] == ["boolean", "null"]
    assert properties["tags"]["type"] == ["array", "null"] and properties["tags"]["items"]["type"] == "string"
    assert properties["options"]["type"] == ["object", "null"]
    assert properties["subjects"]["type"] == ["object", "null"]
    assert properties["subjects"]["additionalProperties"]["type"] == "string"
