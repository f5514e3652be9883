"""flask_broadcasts.jsonapi.specs: what a resource declares (includes, sorts, pagination).

A resource author relies on a mistake in the declaration failing when the module is imported,
not on some client's request: an include that is no relationship, a default sort that is not
declared, a page size outside the allowed range. A client relies on the prefixes of a declared
dotted include being allowed too (``include=author`` when ``author.team`` is declared)."""

from __future__ import annotations

import pytest
from marshmallow_jsonapi import fields

from flask_broadcasts.jsonapi import CollectionSpec, ResourceSchema, ResourceSpec
from flask_broadcasts.jsonapi.specs import known_members
from tests.support.toy_jsonapi import ArticleSchema, PersonSchema


class _LooseSchema(ResourceSchema):
    id = fields.Str(dump_only=True)
    # A relationship with no schema=: it can be linked but not included.
    owner = fields.Relationship(type_="people")

    class Meta:
        type_ = "loose"


def test_a_dotted_include_allows_its_prefixes():
    spec = ResourceSpec(ArticleSchema, includes={"author.team"})
    assert spec.includes == frozenset({"author", "author.team"})
    assert spec.type_ == "articles"


@pytest.mark.parametrize(
    ("schema", "include"),
    [(ArticleSchema, "autor"), (ArticleSchema, "author.boss"), (ArticleSchema, "title"), (_LooseSchema, "owner")],
)
def test_an_include_that_cannot_be_rendered_fails_at_declaration(schema, include):
    with pytest.raises(ValueError, match=repr(include)):
        ResourceSpec(schema, includes={include})


def test_an_external_include_needs_no_relationship():
    spec = ResourceSpec(ArticleSchema, includes={"reviewer"}, external_includes={"reviewer": lambda objs: {}})
    assert "reviewer" in spec.includes


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"sorts": {"title": "t"}, "default_sort": "-views"}, "default_sort '-views'"),
        ({"pagination": "pages"}, "pagination"),
        ({"page_size": 0}, "page_size"),
        ({"page_size": 60, "max_page_size": 50}, "page_size"),
    ],
)
def test_a_collection_declaration_mistake_fails_at_declaration(options, message):
    with pytest.raises(ValueError, match=message):
        CollectionSpec(ArticleSchema, **options)


def test_known_members_follow_the_includable_relationships():
    # What fields[type] may name: every type reachable through relationships with a schema.
    known = known_members(ResourceSpec(ArticleSchema))
    assert known == {
        "articles": {"title", "body", "views", "created_at", "author"},
        "people": {"name", "created_at", "team"},
        "teams": {"name"},
    }
    assert set(known_members(ResourceSpec(PersonSchema))) == {"people", "teams"}
