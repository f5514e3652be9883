"""A marshmallow-jsonapi base schema with the conventions of our API.

Any marshmallow-jsonapi ``Schema`` works with this package; this base only
adds what we want for every resource: an optional field accepts ``null``
(JSON:API clients send ``null`` to clear an optional attribute or a to-one
relationship). Unknown attributes are refused (422) by marshmallow's default
``unknown = RAISE``; keep it.
"""

from __future__ import annotations

import marshmallow as ma
import marshmallow_jsonapi

__all__ = ["ResourceSchema"]


class ResourceSchema(marshmallow_jsonapi.Schema):
    """Base for the resource schemas of the broadcasts API.

    Declare ``class Meta: type_ = "broadcast-templates"`` as usual. A field
    that is not ``required`` accepts ``null``; a required one does not, even
    in a partial (PATCH) load.
    """

    def on_bind_field(self, field_name: str, field_obj: ma.fields.Field) -> None:
        """Let every optional attribute be ``null`` (``id`` excepted)."""
        super().on_bind_field(field_name, field_obj)
        if field_name != "id" and not field_obj.required:
            field_obj.allow_none = True
