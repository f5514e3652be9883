"""A flask-smorest ``Api`` that keeps to its own blueprints.

flask-smorest's ``Api.init_app`` registers an ``HTTPException`` handler on the
whole app, which replaces the host's own handlers (an HTML 404 page becomes
flask-smorest JSON). :class:`ScopedApi` registers nothing app-wide but one
``before_request`` hook that answers routing errors (unknown URL, 405) under
our blueprints' URL prefixes; error handlers live on the blueprints
(:func:`~.install_jsonapi`). Use it with a ``config_prefix`` (we use
``"BROADCASTS_"``) so a host's own flask-smorest ``Api`` keeps its config.

The OpenAPI document is built when it is first read (``/openapi.json``, ``flask openapi
write``, :attr:`ScopedApi.spec`), not when the blueprints are registered: building it is
~90 % of an app's start-up (0.15 s), which every app factory, test and CLI command that
never serves the document would pay.
"""

from __future__ import annotations

import http
import threading
from typing import Any, cast

import flask_smorest
from apispec import APISpec
from flask import Flask, Response, request
from flask_smorest.utils import prepare_response
from werkzeug.exceptions import HTTPException

from .error_documents import handle_exception
from .negotiation import MEDIA_TYPE
from .openapi import ERROR_DOCUMENT, PathIdNotFound, ref, register_common_components

__all__ = ["ScopedApi"]


class ScopedApi(flask_smorest.Api):
    """flask-smorest ``Api`` whose error handling is scoped to its blueprints.

    Its OpenAPI document declares :data:`MEDIA_TYPE` for request and response
    bodies and the JSON:API error document for every error response.

    :param app: Flask application, or ``None`` to call :meth:`init_app` later.
    :param spec_kwargs: passed to flask-smorest (``title``, ``version`` ...).
    :param config_prefix: prefix of the ``API_TITLE``/``OPENAPI_*`` keys.
    """

    DEFAULT_REQUEST_BODY_CONTENT_TYPE = MEDIA_TYPE
    DEFAULT_RESPONSE_CONTENT_TYPE = MEDIA_TYPE

    def __init__(
        self,
        app: Flask | None = None,
        *,
        spec_kwargs: dict[str, Any] | None = None,
        config_prefix: str = "",
    ) -> None:
        self._url_prefixes: list[str] = []
        #: Blueprints registered whose views are not in the document yet: (blueprint, name, parameters).
        self._undocumented: list[tuple[flask_smorest.Blueprint, str, list[dict[str, Any]] | None]] = []
        self._documenting = threading.RLock()
        super().__init__(app, spec_kwargs=spec_kwargs, config_prefix=config_prefix)

    @property
    def spec(self) -> APISpec:
        """The OpenAPI document, completed with every blueprint registered so far
        (``None`` before :meth:`init_app`, as flask-smorest's attribute is)."""
        if getattr(self, "_undocumented", None):
            self._document_registered_views()
        return cast(APISpec, self._spec)

    @spec.setter
    def spec(self, value: APISpec | None) -> None:
        self._spec = value

    def _document_registered_views(self) -> None:
        # One thread documents; a concurrent first request for /openapi.json waits for it.
        with self._documenting:
            pending, self._undocumented = self._undocumented, []
            for blp, name, parameters in pending:
                blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
                self.spec.tag({"name": name, "description": blp.description})

    def _init_spec(self, *, extra_plugins: Any = None, **kwargs: Any) -> None:
        super()._init_spec(extra_plugins=[PathIdNotFound(), *(extra_plugins or ())], **kwargs)

    def _register_error_handlers(self) -> None:
        # Replaces flask-smorest's app-wide handler; see the module docstring.
        self._app.before_request(self._answer_routing_error)

    def _register_responses(self) -> None:
        # flask-smorest documents its own {code, status, message} payload;
        # ours is the JSON:API error document.
        register_common_components(self.spec)
        error = {"schema": ref(ERROR_DOCUMENT)}
        for status in http.HTTPStatus:
            if status >= 400:
                response = {"description": status.phrase, **error}
                prepare_response(response, self.spec, MEDIA_TYPE)
                self.spec.components.response(status.name, response, lazy=True)
        default = {"description": "Default error response", **error}
        prepare_response(default, self.spec, MEDIA_TYPE)
        self.spec.components.response(self.DEFAULT_ERROR_RESPONSE_NAME, default, lazy=True)

    def register_blueprint(
        self,
        blp: flask_smorest.Blueprint,
        *,
        parameters: list[dict[str, Any]] | None = None,
        **options: Any,
    ) -> None:
        """Register ``blp`` and claim routing errors under its URL prefix.

        Same parameters as :meth:`flask_smorest.Api.register_blueprint`.
        """
        # flask-smorest's own register_blueprint, with the documentation deferred (module docstring).
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._undocumented.append((blp, name, parameters))
        prefix = (options.get("url_prefix", blp.url_prefix) or "").rstrip("/")
        # Without a prefix the blueprint shares the host's URL space: a
        # routing error there is not ours to answer.
        if prefix:
            self._url_prefixes.append(prefix)

    def _answer_routing_error(self) -> Response | None:
        """Answer an unknown URL or method under our prefixes with an error document.

        Routing errors have no blueprint, so blueprint error handlers never see
        them; a ``before_request`` hook runs before Flask raises them.
        """
        exc = request.routing_exception
        if not isinstance(exc, HTTPException) or (exc.code or 0) < 400:
            return None  # no error, or a redirect (e.g. a missing trailing slash)
        path = request.path
        if any(path == p or path.startswith(p + "/") for p in self._url_prefixes):
            return handle_exception(exc)
        return None
