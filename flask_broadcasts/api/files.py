"""Template attachments over HTTP: ``broadcast-files`` resources, upload and download.

* ``POST {prefix}/broadcast-templates/{id}/files?o=`` — ``multipart/form-data`` with
  one part named ``file``; answers ``201`` with the ``broadcast-files`` resource
  document. It lives on the plain blueprint because a JSON:API body must be
  ``application/vnd.api+json`` (base64 in JSON would cost a third more and pass the
  JSON body limit); it authenticates like the API (Bearer token and ``?o=``) and
  answers errors as JSON:API error documents (413 too large, 422 type refused).
* ``GET {prefix}/broadcast-files/{id}/content?o=`` — the bytes, as an attachment,
  with ``X-Content-Type-Options: nosniff`` and a sandboxing CSP.
* ``GET``/``DELETE {prefix}/broadcast-files/{id}?o=`` — the JSON:API resource; its
  ``meta.download_url`` is the content URL. ``include=files`` on templates lists them.

``{prefix}`` is ``BROADCASTS_URL_PREFIX`` for the JSON:API routes and
``BROADCASTS_EVENTS_URL_PREFIX`` (default: the same) for the two plain routes.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from io import BytesIO
from typing import Any
from urllib.parse import urlencode

from flask import Blueprint, Response, request, send_file
from flask.views import MethodView
from marshmallow_jsonapi import fields

from ..auth import authenticate, bearer_token, current_tenant
from ..errors import BadRequestError
from ..jsonapi import ResourceQuery, ResourceSchema, ResourceSpec, no_content, render_resource
from ..jsonapi.error_documents import handle_exception
from ..models import BroadcastFile
from ..services import files as service
from ..state import get_state
from .base import resource_blueprint, resource_url

__all__ = ["BroadcastFileSchema", "blueprint", "register_file_routes"]

#: Room for the multipart envelope around the file itself.
_MULTIPART_OVERHEAD = 64 * 1024


class BroadcastFileSchema(ResourceSchema):
    """A ``broadcast-files`` resource (read-only; created by upload)."""

    id = fields.Str(dump_only=True)
    filename = fields.Str(dump_only=True)
    content_type = fields.Str(dump_only=True)
    size = fields.Int(dump_only=True, metadata={"description": "Bytes."})
    created_at = fields.DateTime(dump_only=True)
    template = fields.Relationship(
        type_="broadcast-templates", attribute="template_id", include_resource_linkage=True, dump_only=True
    )

    class Meta:
        type_ = "broadcast-files"


FILE = ResourceSpec(schema=BroadcastFileSchema)

blueprint = resource_blueprint("broadcast_files", __name__, description="Template attachments")


def download_url(file: BroadcastFile) -> str:
    """Where the bytes of ``file`` are downloaded (plain blueprint, same auth)."""
    settings = get_state().settings
    prefix = (settings.events_url_prefix or settings.url_prefix or "").rstrip("/")
    query = urlencode({"o": file.organization_id})
    return f"{request.script_root}{prefix}/broadcast-files/{file.id}/content?{query}"


def download_meta(file: BroadcastFile) -> dict[str, Any]:
    """The ``meta.download_url`` of an attachment."""
    return {"download_url": download_url(file)}


@blueprint.route("/broadcast-files/<id>")
class FileItem(MethodView):
    """``/broadcast-files/<id>``: one attachment's description."""

    @blueprint.jsonapi_resource(FILE)
    def get(self, query: ResourceQuery, id: str) -> Any:
        """Fetch an attachment's description (meta.download_url has its bytes)"""
        file = service.get_file(current_tenant().organization_id, id)
        return render_resource(file, query, resource_meta=download_meta)

    @blueprint.jsonapi_delete(BroadcastFileSchema)
    def delete(self, id: str) -> Any:
        """Delete an attachment"""
        service.delete_file(current_tenant().organization_id, id)
        return no_content()


# -- the plain routes ------------------------------------------------------------------------


def _authenticated(view: Callable[..., Response]) -> Callable[..., Response]:
    """Authenticate like the JSON:API blueprint and answer errors as error documents,
    without touching the rest of the (shared) plain blueprint."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Response:
        try:
            tenant = authenticate(bearer_token(), request.args.get("o"))
            return view(tenant.organization_id, *args, **kwargs)
        except Exception as exc:  # every error, expected or not, becomes an error document
            get_state().session.rollback()
            return handle_exception(exc)

    return wrapper


@_authenticated
def upload_file(organization_id: str, id: str) -> Response:
    """Attach the ``file`` part of a multipart body to the template ``id`` (201 with the file)."""
    limit = get_state().settings.max_file_size
    # Flask 3.1: a per-request cap, enforced while the body streams in (413 early).
    request.max_content_length = limit + _MULTIPART_OVERHEAD
    if not (request.mimetype or "").startswith("multipart/form-data"):
        raise BadRequestError(
            "Send the file as multipart/form-data, in a part named 'file'.", code="multipart_required"
        )
    upload = request.files.get("file")
    if upload is None:
        raise BadRequestError("The multipart body has no part named 'file'.", code="file_required")
    data = upload.stream.read(limit + 1)
    file = service.attach_file(organization_id, id, filename=upload.filename, content_type=upload.mimetype, data=data)
    location = resource_url("broadcast_files.FileItem", file.id, organization_id)
    return render_resource(file, BroadcastFileSchema, status=201, resource_meta=download_meta, location=location)


@_authenticated
def download_file(organization_id: str, id: str) -> Response:
    """The bytes of attachment ``id``, as a download that browsers neither sniff nor cache."""
    file = service.get_file(organization_id, id)
    data = service.read_file(file)
    response = send_file(
        BytesIO(data),
        mimetype=file.content_type,
        as_attachment=True,
        download_name=file.filename,
        max_age=0,
        etag=False,
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response.headers["Cache-Control"] = "private, no-store"
    return response


def register_file_routes(plain: Blueprint) -> None:
    """Add the upload and download routes to the plain blueprint."""
    plain.add_url_rule("/broadcast-templates/<id>/files", "upload_broadcast_file", upload_file, methods=["POST"])
    plain.add_url_rule("/broadcast-files/<id>/content", "download_broadcast_file", download_file, methods=["GET"])
