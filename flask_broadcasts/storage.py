"""Where attachment bytes live: a small :class:`FileStorage` protocol and its adapters.

The default, :class:`DatabaseFileStorage`, keeps the bytes in the
``broadcast_file_blobs`` table, so every worker machine that can reach the database
can attach them to e-mails, with nothing else to share. A host that prefers object
storage sets ``BROADCASTS_FILE_STORAGE`` to an object with the three methods below
(or to ``"package.module:factory"``, called with no argument).

:class:`MemoryFileStorage` is a test double: it keeps bytes in a dict of one process.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, runtime_checkable

from sqlalchemy import delete, select
from werkzeug.utils import import_string

from .models import BroadcastFileBlob
from .state import get_state

__all__ = [
    "DatabaseFileStorage",
    "FileStorage",
    "MemoryFileStorage",
    "build_file_storage",
    "forget_stored_files",
    "get_file_storage",
]


@runtime_checkable
class FileStorage(Protocol):
    """Stores opaque bytes under a key the extension chooses (``<organization>/<uuid>``).

    ``save`` and ``delete`` run inside the request's database transaction; the
    extension commits after ``save`` and calls ``delete`` only after the rows that
    referenced the key are committed away (a crash leaves an orphan, never a dangling
    reference).
    """

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` (a new key on every upload).

        Called before the file's row is added and committed: raising refuses the upload.
        If that commit fails, the extension deletes the key again.
        """
        ...

    def open(self, key: str) -> bytes:
        """The bytes under ``key``; :class:`KeyError` when there are none."""
        ...

    def delete(self, key: str) -> None:
        """Forget ``key``; a missing key is not an error."""
        ...


class DatabaseFileStorage:
    """Bytes in ``broadcast_file_blobs``, through the extension's session (the default).

    ``save`` and ``delete`` join the caller's transaction: the file row and its bytes
    are committed together.
    """

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` in ``broadcast_file_blobs``."""
        get_state().session.add(BroadcastFileBlob(key=key, data=data))

    def open(self, key: str) -> bytes:
        """The bytes stored under ``key``."""
        data = get_state().session.scalar(select(BroadcastFileBlob.data).where(BroadcastFileBlob.key == key))
        if data is None:
            raise KeyError(key)
        return bytes(data)

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error if it is absent)."""
        get_state().session.execute(delete(BroadcastFileBlob).where(BroadcastFileBlob.key == key))


class MemoryFileStorage:
    """Test double: bytes in a dict of this process (never use it with several workers)."""

    def __init__(self) -> None:
        self.blobs: dict[str, bytes] = {}

    def save(self, key: str, data: bytes) -> None:
        """Store ``data`` under ``key`` in this process's memory."""
        self.blobs[key] = bytes(data)

    def open(self, key: str) -> bytes:
        """The bytes stored under ``key``."""
        return self.blobs[key]

    def delete(self, key: str) -> None:
        """Forget ``key`` (no error if it is absent)."""
        self.blobs.pop(key, None)


def build_file_storage(configured: object) -> FileStorage:
    """The storage ``BROADCASTS_FILE_STORAGE`` names (``init_app`` builds it once per app).

    ``None``: the database; a ``"package.module:factory"`` string: what the factory returns;
    anything else: that object.
    """
    if configured is None:
        storage: object = DatabaseFileStorage()
    elif isinstance(configured, str):
        storage = import_string(configured.replace(":", "."))()
    else:
        storage = configured
    if not isinstance(storage, FileStorage):
        raise RuntimeError("BROADCASTS_FILE_STORAGE must provide save(key, data), open(key) and delete(key).")
    return storage


def get_file_storage() -> FileStorage:
    """The file storage of the current app (``BROADCASTS_FILE_STORAGE``; default: the database)."""
    return get_state().file_storage


def forget_stored_files(keys: Iterable[str]) -> None:
    """Delete stored bytes whose rows are already gone (then commit, for the database storage)."""
    storage = get_file_storage()
    keys = list(keys)
    for key in keys:
        storage.delete(key)
    if keys:
        get_state().session.commit()
