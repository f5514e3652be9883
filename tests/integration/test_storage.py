"""flask_broadcasts.storage: where attachment bytes live (``BROADCASTS_FILE_STORAGE``).

A host relies on: the default database storage joining the caller's transaction (bytes
rolled back with the row that would have named them, readable by any worker once
committed), a missing key being a ``KeyError`` and deleting one no error, and the setting
taking a ``"package.module:factory"`` string or an object, refusing one without the three
methods at ``init_app``. The small host (tests/support/host.py) on the suite's database.
"""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts import get_state
from flask_broadcasts.models import BroadcastFileBlob
from flask_broadcasts.storage import (
    DatabaseFileStorage,
    MemoryFileStorage,
    build_file_storage,
    forget_stored_files,
    get_file_storage,
)
from tests.support import host_fixtures
from tests.support.host import make_app
from tests.support.host_fixtures import db
from tests.support.storage import DirectoryFileStorage

app, database_uri = host_fixtures.app, host_fixtures.database_uri


def _keys() -> list[str]:
    db.session.rollback()
    return list(db.session.scalars(sa.select(BroadcastFileBlob.key).order_by(BroadcastFileBlob.key)))


def test_the_database_storage_keeps_bytes_with_the_callers_transaction(app):
    storage = get_file_storage()
    assert isinstance(storage, DatabaseFileStorage)
    storage.save("org-a/rolled-back", b"never committed")
    db.session.rollback()
    with pytest.raises(KeyError):
        storage.open("org-a/rolled-back")
    storage.save("org-a/kept", b"%PDF-1.7 \x00\xff")
    db.session.commit()
    db.session.remove()  # another session, as a worker's would be
    assert storage.open("org-a/kept") == b"%PDF-1.7 \x00\xff"
    assert _keys() == ["org-a/kept"]


def test_forgetting_stored_files_deletes_and_commits_and_a_missing_key_is_no_error(app):
    storage = get_file_storage()
    for key in ("org-a/1", "org-a/2", "org-a/3"):
        storage.save(key, b"x")
    db.session.commit()
    forget_stored_files(["org-a/1", "org-a/3", "org-a/never-stored"])
    assert _keys() == ["org-a/2"]  # committed: the rollback in _keys keeps the deletion


def test_the_setting_takes_a_factory_string_or_an_object_and_refuses_anything_else(database_uri, tmp_path, monkeypatch):
    monkeypatch.setenv("BCAST_TEST_FILES", str(tmp_path))
    app = make_app(database_uri, BROADCASTS_FILE_STORAGE="tests.support.storage:DirectoryFileStorage")
    storage = get_state(app).file_storage
    assert isinstance(storage, DirectoryFileStorage) and storage.directory == tmp_path
    memory = MemoryFileStorage()
    assert build_file_storage(memory) is memory
    memory.delete("absent")  # no error
    with pytest.raises(RuntimeError, match="BROADCASTS_FILE_STORAGE must provide save"):
        make_app(database_uri, BROADCASTS_FILE_STORAGE=object())
