"""flask_broadcasts.api.files: template attachments, uploaded as multipart and downloaded as bytes.

A host relies on an upload answering 201 with the ``broadcast-files`` resource at its own URL
and a ``meta.download_url`` that serves the bytes (on ``BROADCASTS_EVENTS_URL_PREFIX`` when set),
on the download being an attachment that browsers neither sniff, run nor cache, and on the
plain upload route answering its errors as JSON:API error documents like the rest of the API.
The template side (``include=files``, limits) is tests/integration/templates/test_template_http.py."""

from __future__ import annotations

import io

import pytest

from tests.support.host import db, make_app
from tests.support.host_fixtures import JSONAPI, ORG_A, headers, make_template

PDF = b"%PDF-1.7\n" + b"y" * 40
AUTH = {"Authorization": "Bearer token-a"}


@pytest.fixture
def app(database_uri):
    # The plain routes (uploads, downloads) on a prefix of their own.
    app = make_app(database_uri, BROADCASTS_EVENTS_URL_PREFIX="/live")
    with app.app_context():
        yield app
        db.session.rollback()
        db.session.remove()
        db.engine.dispose()


def _upload(client, template_id, **kwargs):
    return client.post(
        f"/live/broadcast-templates/{template_id}/files?o={ORG_A}",
        headers=AUTH,
        data={"file": (io.BytesIO(PDF), "brochure.pdf", "application/pdf")},
        content_type="multipart/form-data",
        **kwargs,
    )


def test_an_upload_answers_the_file_at_its_own_url_with_its_download_url(app):
    client = app.test_client()
    template = make_template()
    r = _upload(client, template.id)
    assert r.status_code == 201, r.get_json()
    assert r.content_type == JSONAPI
    file = r.get_json()["data"]
    location = f"http://localhost/api/broadcast-files/{file['id']}?o={ORG_A}"
    assert r.headers["Location"] == location and r.get_json()["links"]["self"] == location
    assert file["meta"]["download_url"] == f"/live/broadcast-files/{file['id']}/content?o={ORG_A}"
    fetched = client.get(location, headers=headers("token-a"))
    assert fetched.status_code == 200 and fetched.get_json()["data"]["meta"] == file["meta"]


def test_the_download_is_an_attachment_never_sniffed_run_or_cached(app):
    client = app.test_client()
    file = _upload(client, make_template().id).get_json()["data"]
    r = client.get(file["meta"]["download_url"], headers=AUTH)
    assert r.status_code == 200 and r.data == PDF and r.mimetype == "application/pdf"
    assert r.headers["Content-Disposition"] == "attachment; filename=brochure.pdf"
    assert r.headers["X-Content-Type-Options"] == "nosniff"
    assert r.headers["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert r.headers["Cache-Control"] == "private, no-store"
    assert "ETag" not in r.headers


def test_upload_errors_are_error_documents(app):
    client = app.test_client()
    template = make_template()
    missing = _upload(client, template.id + 1000)
    assert missing.status_code == 404 and missing.content_type == JSONAPI
    not_multipart = client.post(f"/live/broadcast-templates/{template.id}/files?o={ORG_A}", headers=AUTH, data=PDF)
    assert not_multipart.status_code == 400 and not_multipart.content_type == JSONAPI
    assert not_multipart.get_json()["errors"][0]["code"] == "multipart_required"
    no_token = client.post(f"/live/broadcast-templates/{template.id}/files?o={ORG_A}")
    assert no_token.status_code == 401 and no_token.content_type == JSONAPI
