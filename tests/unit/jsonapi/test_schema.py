"""flask_broadcasts.jsonapi.schema: the base schema of every resource.

A client relies on ``null`` clearing an optional attribute or to-one relationship (on create
and on a partial update), on ``null`` for a required attribute being refused even in a PATCH,
and on an unknown attribute being refused rather than silently dropped."""

from __future__ import annotations

import marshmallow as ma
import marshmallow_jsonapi
import pytest
from marshmallow_jsonapi import fields

from flask_broadcasts.jsonapi import ResourceSchema


class NoteSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    title = fields.Str(required=True)
    body = fields.Str()
    pinned = fields.Bool()
    folder = fields.Relationship(type_="folders")

    class Meta:
        type_ = "notes"


class PlainNoteSchema(marshmallow_jsonapi.Schema):
    """The same resource on marshmallow-jsonapi's own base, for comparison."""

    id = fields.Str(dump_only=True)
    title = fields.Str(required=True)
    body = fields.Str()

    class Meta:
        type_ = "notes"


def _document(attributes, relationships=None):
    data = {"type": "notes", "attributes": attributes}
    if relationships is not None:
        data["relationships"] = relationships
    return {"data": data}


def test_null_clears_optional_attributes_and_to_one_relationships():
    loaded = NoteSchema().load(_document({"title": "t", "body": None, "pinned": None}, {"folder": {"data": None}}))
    assert loaded == {"title": "t", "body": None, "pinned": None, "folder": None}
    # What the base adds: marshmallow-jsonapi alone refuses the same null.
    with pytest.raises(ma.ValidationError):
        PlainNoteSchema().load(_document({"title": "t", "body": None}))


@pytest.mark.parametrize("partial", [False, True])
def test_null_for_a_required_attribute_is_refused_even_in_a_partial_load(partial):
    with pytest.raises(ma.ValidationError) as caught:
        NoteSchema().load(_document({"title": None}), partial=partial)
    pointers = [e["source"]["pointer"] for e in caught.value.messages["errors"]]
    assert pointers == ["/data/attributes/title"]


def test_an_unknown_attribute_is_refused():
    with pytest.raises(ma.ValidationError) as caught:
        NoteSchema().load(_document({"title": "t", "colour": "red"}))
    assert "colour" in str(caught.value.messages)
