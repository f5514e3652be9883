"""Install JSON:API negotiation and error handling on one blueprint.

Everything here is registered on the blueprint, never on the app, so a host's
own error handlers and ``after_request`` hooks stay as they were.
"""

from __future__ import annotations

from flask import Blueprint
from marshmallow_jsonapi.exceptions import IncorrectTypeError
from werkzeug.exceptions import default_exceptions

from .error_documents import handle_exception
from .negotiation import check_request, force_media_type

__all__ = ["install_jsonapi"]


def install_jsonapi(blueprint: Blueprint) -> Blueprint:
    """Make ``blueprint`` speak JSON:API for requests routed to it.

    Registers content negotiation (``before_request``), the JSON:API media
    type on plain JSON answers (``after_request``) and error handlers that
    answer with error documents. :class:`~.JsonApiBlueprint` calls this itself;
    call it for any other (flask-smorest) blueprint before registering it.

    :returns: ``blueprint``, for chaining.
    """
    blueprint.before_request(check_request)
    blueprint.after_request(force_media_type)
    # Flask looks for a handler by status code in the blueprint, then by code
    # in the app, and only then by class: a host's ``@app.errorhandler(404)``
    # would win over a class-based handler here. Hence one handler per code.
    for code in default_exceptions:
        blueprint.register_error_handler(code, handle_exception)
    blueprint.register_error_handler(IncorrectTypeError, handle_exception)
    blueprint.register_error_handler(Exception, handle_exception)
    return blueprint
