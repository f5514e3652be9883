"""Schema fields that document their JSON type but leave checking to the service.

A resource's services validate types and rules together and report every problem
in one 422; if marshmallow refused a wrong type first, the client would hear about
the rest only on its next attempt. apispec documents these by their base class.
"""

from __future__ import annotations

from typing import Any

from marshmallow_jsonapi import fields

__all__ = ["Flag", "Localized", "Mapping", "Strings", "Text"]


class _Deferred:
    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> Any:
        return value


class Text(_Deferred, fields.Str):
    """A string attribute."""


class Flag(_Deferred, fields.Bool):
    """A boolean attribute (JSON ``true``/``false`` only: the service refuses ``1`` or ``"yes"``)."""


class Strings(_Deferred, fields.List):
    """A list of strings."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(fields.Str(), **kwargs)


class Mapping(_Deferred, fields.Dict):
    """A JSON object."""


class Localized(_Deferred, fields.Dict):
    """A JSON object of texts keyed by locale tag."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(keys=fields.Str(), values=fields.Str(), **kwargs)
