"""A file storage that is not the database: one file per key in a directory.

What a host's object storage is to the extension (``BROADCASTS_FILE_STORAGE``), in the
simplest form every process of a test can share: the directory is ``BCAST_TEST_FILES``,
set for the test's app and handed to its worker processes in their environment.
"""

from __future__ import annotations

import os
from pathlib import Path


class DirectoryFileStorage:
    """Bytes in ``BCAST_TEST_FILES/<key>``, nothing in ``broadcast_file_blobs``."""

    def __init__(self, directory: str | None = None) -> None:
        self.directory = Path(directory or os.environ["BCAST_TEST_FILES"])

    def _path(self, key: str) -> Path:
        return self.directory / key.replace("/", "_")  # keys are "<organization>/<uuid>"

    def save(self, key: str, data: bytes) -> None:
        self._path(key).write_bytes(data)

    def open(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except FileNotFoundError:
            raise KeyError(key) from None

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)
