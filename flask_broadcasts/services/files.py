"""Attachments of broadcast templates: attach, list, read, delete.

The bytes go through :func:`~flask_broadcasts.storage.get_file_storage` (by default
the database); the :class:`~flask_broadcasts.models.BroadcastFile` row keeps the
sanitized filename, the media type, the size and the storage key. Limits:

* ``BROADCASTS_MAX_FILE_SIZE`` bytes per file → :class:`PayloadTooLargeError` (413);
* ``BROADCASTS_ALLOWED_FILE_TYPES`` → 422 ``file_type_not_allowed``; the declared type
  is also checked against the leading bytes for the types that have a signature, so
  an HTML page cannot travel as ``image/png``;
* :data:`MAX_FILES_PER_TEMPLATE` files and :data:`MAX_TOTAL_SIZE` bytes per template,
  because every recipient's e-mail carries all of them.

Uploads arrive as multipart parts, not JSON:API documents, so these errors carry a
``code`` but no ``source.pointer``.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import uuid
from dataclasses import dataclass

from sqlalchemy import func, select

from ..errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from ..models import BroadcastFile, BroadcastTemplate
from ..state import get_state
from ..storage import forget_stored_files, get_file_storage
from ._common import get_scoped
from .templates import get_template

__all__ = [
    "MAX_FILES_PER_TEMPLATE",
    "MAX_TOTAL_SIZE",
    "Attachment",
    "attach_file",
    "delete_file",
    "forget_stored_files",
    "get_file",
    "list_files",
    "read_file",
    "sanitize_filename",
    "template_attachments",
]

MAX_FILES_PER_TEMPLATE = 10
#: Sum of a template's attachments; many mail servers refuse messages above ~25 MB.
MAX_TOTAL_SIZE = 20 * 1024 * 1024
MAX_FILENAME_LENGTH = 255

_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
}
# Path separators, characters Windows refuses, and anything that is not printable.
_UNSAFE = re.compile(r'[\\/:*?"<>|]')


@dataclass(frozen=True)
class Attachment:
    """An attachment ready for an e-mail."""

    filename: str
    content_type: str
    data: bytes


def sanitize_filename(filename: str | None) -> str:
    """A safe display name for an uploaded file: no directory part, no control or
    reserved characters, no leading dot, at most 255 characters (extension kept).
    Letters of any script survive; an empty result becomes ``attachment``."""
    name = unicodedata.normalize("NFC", filename or "")
    name = re.split(r"[\\/]", name)[-1]
    name = "".join(ch for ch in name if unicodedata.category(ch)[0] != "C")
    name = _UNSAFE.sub("_", name)
    name = " ".join(name.split()).lstrip(". ").rstrip(". ")
    if len(name) > MAX_FILENAME_LENGTH:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 16:
            name = stem[: MAX_FILENAME_LENGTH - len(ext) - 1] + "." + ext
        else:
            name = name[:MAX_FILENAME_LENGTH]
    return name or "attachment"


def _media_type(declared: str | None, filename: str) -> str:
    """The declared media type without parameters, or a guess from the name when the
    client only said ``application/octet-stream`` (or nothing)."""
    media_type = (declared or "").split(";", 1)[0].strip().lower()
    if not media_type or media_type == "application/octet-stream":
        media_type = mimetypes.guess_type(filename, strict=False)[0] or "application/octet-stream"
    return media_type


def _content_matches(media_type: str, data: bytes) -> bool:
    signatures = _SIGNATURES.get(media_type)
    if signatures is not None:
        return data.startswith(signatures)
    if media_type.startswith("text/"):
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return False
        return "\x00" not in text
    return True  # a type the host allowed and we know no signature of


def attach_file(
    organization_id: str,
    template_id: object,
    *,
    filename: str | None,
    content_type: str | None,
    data: bytes,
) -> BroadcastFile:
    """Store ``data`` as an attachment of the template.

    :raises NotFoundError: the template is not in the organization.
    :raises PayloadTooLargeError: above ``BROADCASTS_MAX_FILE_SIZE`` (or the template's total).
    :raises InvalidInputError: empty file, type not allowed or not matching its
        content, too many files.
    """
    template = get_template(organization_id, template_id)
    settings = get_state().settings
    session = get_state().session
    if len(data) > settings.max_file_size:
        raise PayloadTooLargeError(
            f"The file is {len(data)} bytes; at most {settings.max_file_size} are accepted.", code="file_too_large"
        )
    if not data:
        raise InvalidInputError("The file is empty.", code="file_empty")
    name = sanitize_filename(filename)
    media_type = _media_type(content_type, name)
    allowed = tuple(settings.allowed_file_types)
    if media_type not in allowed:
        raise InvalidInputError(
            f"Files of type {media_type!r} are not accepted; allowed: {', '.join(allowed)}.",
            code="file_type_not_allowed",
        )
    if not _content_matches(media_type, data):
        raise InvalidInputError(f"The file's content is not {media_type}.", code="file_content_mismatch")
    count, total = session.execute(
        select(func.count(BroadcastFile.id), func.coalesce(func.sum(BroadcastFile.size), 0)).where(
            BroadcastFile.template_id == template.id
        )
    ).one()
    if count >= MAX_FILES_PER_TEMPLATE:
        raise InvalidInputError(f"A template holds at most {MAX_FILES_PER_TEMPLATE} files.", code="too_many_files")
    if total + len(data) > MAX_TOTAL_SIZE:
        raise PayloadTooLargeError(
            f"The template's attachments would total {total + len(data)} bytes; at most {MAX_TOTAL_SIZE}.",
            code="attachments_too_large",
        )
    key = f"{template.organization_id}/{uuid.uuid4().hex}"
    get_file_storage().save(key, data)
    file = BroadcastFile(
        organization_id=template.organization_id,
        template=template,
        filename=name,
        content_type=media_type,
        size=len(data),
        storage_key=key,
    )
    session.add(file)
    try:
        session.commit()
    except Exception:
        session.rollback()
        forget_stored_files([key])  # an external storage is outside the transaction
        raise
    return file


def get_file(organization_id: str, file_id: object) -> BroadcastFile:
    """The attachment ``file_id`` of the organization, else :class:`NotFoundError`."""
    return get_scoped(BroadcastFile, organization_id, file_id, "broadcast file")


def list_files(organization_id: str, template_id: object) -> list[BroadcastFile]:
    """The template's attachments, oldest first (404 for another organization's template)."""
    template = get_template(organization_id, template_id)
    return list(template.files)


def read_file(file: BroadcastFile) -> bytes:
    """The bytes of an attachment row (obtained through :func:`get_file`)."""
    try:
        return get_file_storage().open(file.storage_key)
    except KeyError:
        raise NotFoundError("The file's content is gone.", code="file_content_missing") from None


def delete_file(organization_id: str, file_id: object) -> None:
    """Delete one attachment and its bytes."""
    file = get_file(organization_id, file_id)
    key = file.storage_key
    session = get_state().session
    session.delete(file)
    session.commit()
    forget_stored_files([key])


def template_attachments(template: BroadcastTemplate) -> list[Attachment]:
    """Every attachment of a template with its bytes (what an e-mail of it carries)."""
    storage = get_file_storage()
    return [Attachment(f.filename, f.content_type, storage.open(f.storage_key)) for f in template.files]
