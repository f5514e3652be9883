"""services.files and storage: limits, sanitizing, storage adapters, cleanup."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from flask_broadcasts.errors import InvalidInputError, NotFoundError, PayloadTooLargeError
from flask_broadcasts.models import BroadcastFile, BroadcastFileBlob
from flask_broadcasts.services import files, templates
from flask_broadcasts.state import get_state
from flask_broadcasts.storage import DatabaseFileStorage, MemoryFileStorage, get_file_storage
from tests.support.host_fixtures import ORG, OTHER_ORG, make_app

PDF = b"%PDF-1.7\n" + b"x" * 100
PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 20
MAIL = {"name": "t", "channels": ["mail"], "subject": "s", "body": "b"}


@pytest.fixture
def template(app):
    return templates.create_template(ORG, MAIL)


def blob_count() -> int:
    return get_state().session.scalar(select(func.count()).select_from(BroadcastFileBlob))


def test_attach_read_list_delete(template):
    file = files.attach_file(ORG, template.id, filename="Brochure.pdf", content_type="application/pdf", data=PDF)
    assert (file.filename, file.content_type, file.size, file.template_id) == (
        "Brochure.pdf",
        "application/pdf",
        len(PDF),
        template.id,
    )
    assert isinstance(get_file_storage(), DatabaseFileStorage) and blob_count() == 1
    assert files.read_file(files.get_file(ORG, file.id)) == PDF
    assert [f.id for f in files.list_files(ORG, template.id)] == [file.id]
    (attachment,) = files.template_attachments(template)
    assert attachment == files.Attachment("Brochure.pdf", "application/pdf", PDF)
    files.delete_file(ORG, file.id)
    assert files.list_files(ORG, template.id) == [] and blob_count() == 0


def test_other_organization_cannot_see_or_delete(template):
    file = files.attach_file(ORG, template.id, filename="a.pdf", content_type="application/pdf", data=PDF)
    with pytest.raises(NotFoundError):
        files.get_file(OTHER_ORG, file.id)
    with pytest.raises(NotFoundError):
        files.delete_file(OTHER_ORG, file.id)
    with pytest.raises(NotFoundError):
        files.attach_file(OTHER_ORG, template.id, filename="a.pdf", content_type="application/pdf", data=PDF)
    with pytest.raises(NotFoundError):
        files.list_files(OTHER_ORG, template.id)
    assert files.get_file(ORG, file.id).id == file.id


def test_size_limit_is_413(template):
    limit = get_state().settings.max_file_size
    with pytest.raises(PayloadTooLargeError) as excinfo:
        files.attach_file(
            ORG, template.id, filename="a.pdf", content_type="application/pdf", data=b"%PDF-" + b"x" * limit
        )
    assert excinfo.value.code == 413 and str(limit) in excinfo.value.detail
    assert blob_count() == 0


@pytest.mark.parametrize(
    ("filename", "content_type", "data", "code"),
    [
        ("a.html", "text/html", b"<script>", "file_type_not_allowed"),
        ("a.exe", None, b"MZ", "file_type_not_allowed"),
        ("a.png", "image/png", b"<html>", "file_content_mismatch"),
        ("a.txt", "text/plain", b"\xff\xfe\x00", "file_content_mismatch"),
        ("a.pdf", "application/pdf", b"", "file_empty"),
    ],
)
def test_type_and_content_checks(template, filename, content_type, data, code):
    with pytest.raises(InvalidInputError) as excinfo:
        files.attach_file(ORG, template.id, filename=filename, content_type=content_type, data=data)
    assert excinfo.value.error_code == code
    assert excinfo.value.code == 422


def test_type_guessed_from_name_and_parameters_dropped(template):
    png = files.attach_file(ORG, template.id, filename="logo.png", content_type="application/octet-stream", data=PNG)
    txt = files.attach_file(
        ORG, template.id, filename="a.txt", content_type="Text/Plain; charset=utf-8", data="héllo".encode()
    )
    assert (png.content_type, txt.content_type) == ("image/png", "text/plain")


def test_count_limit(template):
    for index in range(files.MAX_FILES_PER_TEMPLATE):
        files.attach_file(ORG, template.id, filename=f"{index}.pdf", content_type="application/pdf", data=PDF)
    with pytest.raises(InvalidInputError) as excinfo:
        files.attach_file(ORG, template.id, filename="x.pdf", content_type="application/pdf", data=PDF)
    assert excinfo.value.error_code == "too_many_files"


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\report.pdf", "report.pdf"),
        (".htaccess", "htaccess"),
        ("a\r\nb.pdf", "ab.pdf"),
        ('x"; filename="y.pdf', "x_; filename=_y.pdf"),
        ("Prospectus été 2026.pdf", "Prospectus été 2026.pdf"),
        ("报告.pdf", "报告.pdf"),
        ("", "attachment"),
        (None, "attachment"),
        ("...", "attachment"),
        ("a" * 300 + ".pdf", "a" * 251 + ".pdf"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert files.sanitize_filename(raw) == clean


def test_deleting_template_deletes_files_and_bytes(template):
    files.attach_file(ORG, template.id, filename="a.pdf", content_type="application/pdf", data=PDF)
    templates.delete_template(ORG, template.id)
    session = get_state().session
    assert session.scalar(select(func.count()).select_from(BroadcastFile)) == 0
    assert blob_count() == 0


def test_pluggable_storage(database_uri):
    memory = MemoryFileStorage()
    app = make_app(database_uri, BROADCASTS_FILE_STORAGE=memory)
    with app.app_context():
        template = templates.create_template(ORG, MAIL)
        file = files.attach_file(ORG, template.id, filename="a.pdf", content_type="application/pdf", data=PDF)
        assert memory.blobs == {file.storage_key: PDF} and blob_count() == 0
        assert file.storage_key.startswith(f"{ORG}/")
        assert files.read_file(file) == PDF
        files.delete_file(ORG, file.id)
        assert memory.blobs == {}


def test_storage_by_dotted_path(database_uri):
    app = make_app(database_uri, BROADCASTS_FILE_STORAGE="flask_broadcasts.storage:MemoryFileStorage")
    with app.app_context():
        assert isinstance(get_file_storage(), MemoryFileStorage)
        assert get_file_storage() is get_file_storage()


def test_missing_bytes_are_not_found(template):
    file = files.attach_file(ORG, template.id, filename="a.pdf", content_type="application/pdf", data=PDF)
    get_file_storage().delete(file.storage_key)
    with pytest.raises(NotFoundError):
        files.read_file(file)
