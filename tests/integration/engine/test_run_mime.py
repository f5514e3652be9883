"""flask_broadcasts.engine.run_mime: the MIME builder of a run (sender, List-Id, attachments).

What a host relies on: every e-mail of a run comes from the configured sender, carries the
organization's ``List-Id`` and the template's files read from the file storage; the files
are read once per run, not per message; and a run never sends an e-mail without its
sender or without its attachments (the batch waits, a temporary failure).
"""

from __future__ import annotations

import base64

import pytest

from flask_broadcasts.channels.smtp import TemporaryFailure
from flask_broadcasts.engine.run_mime import mime_builder
from flask_broadcasts.models import BroadcastCampaign, BroadcastFile
from flask_broadcasts.state import get_state
from flask_broadcasts.storage import get_file_storage
from tests.support.fixtures import ORG, make_campaign, set_config
from tests.support.host import db

PDF = b"%PDF-1.4 the programme"


def _with_attachment(key: str = "org-1/programme") -> int:
    campaign_id = make_campaign()
    template_id = db.session.get(BroadcastCampaign, campaign_id).template_id
    db.session.add(
        BroadcastFile(
            organization_id=ORG,
            template_id=template_id,
            filename="programme.pdf",
            content_type="application/pdf",
            size=len(PDF),
            storage_key=key,
        )
    )
    get_file_storage().save(key, PDF)
    db.session.commit()
    return campaign_id


def _email(builder) -> bytes:
    return builder.build(
        to="ann@example.test",
        subject="Hello",
        body="<p>Hi</p>",
        action_label=None,
        action_url=None,
        recipient_type="customers",
        recipient_id="1",
    ).data


def test_an_email_of_the_run_has_the_sender_the_list_id_and_the_attachment(app, env) -> None:
    get_state(app).extension.organization_name(lambda organization_id: "Acme Ltd")
    campaign_id = _with_attachment()

    data = _email(mime_builder(db.session, campaign_id, "once"))

    head = data.split(b"\r\n\r\n", 1)[0]
    assert b"From: Acme News <news@acme.test>\r\n" in head  # MAIL_DEFAULT_SENDER of the host
    assert b'List-Id: "Acme Ltd" <org-org-1.acme.test>\r\n' in head
    assert b'filename="programme.pdf"' in data
    assert base64.b64encode(PDF) in data.replace(b"\r\n", b"")


def test_the_files_are_read_once_per_run_and_again_for_another_run(app, env) -> None:
    campaign_id = _with_attachment()
    builder = mime_builder(db.session, campaign_id, "once")
    get_file_storage().delete("org-1/programme")
    db.session.commit()

    assert mime_builder(db.session, campaign_id, "once") is builder  # no read: the bytes are gone
    assert base64.b64encode(PDF) in _email(builder).replace(b"\r\n", b"")
    with pytest.raises(TemporaryFailure, match="programme.pdf"):
        mime_builder(db.session, campaign_id, "2026-04-01T09:00:00Z")


class _ObjectStorageDown:
    """A host's object storage that cannot be reached."""

    def save(self, key: str, data: bytes) -> None:
        raise OSError("connection refused")

    def open(self, key: str) -> bytes:
        raise OSError("connection refused")

    def delete(self, key: str) -> None:
        raise OSError("connection refused")


def test_whatever_the_hosts_storage_raises_stops_the_batch_rather_than_send_without_the_file(app, env) -> None:
    campaign_id = _with_attachment()
    get_state(app).file_storage = _ObjectStorageDown()

    with pytest.raises(TemporaryFailure, match="programme.pdf.*connection refused"):
        mime_builder(db.session, campaign_id, "once")


def test_no_sender_configured_is_a_temporary_failure(app, env) -> None:
    set_config(env, app, MAIL_DEFAULT_SENDER=None, BROADCASTS_MAIL_SENDER=None)
    campaign_id = make_campaign()

    with pytest.raises(TemporaryFailure, match="no sender"):
        mime_builder(db.session, campaign_id, "once")
