"""The MIME builder of a run: sender, Message-ID scheme and attachments, built once.

Attachments are read through the file storage (``BROADCASTS_FILE_STORAGE``, the
:class:`~flask_broadcasts.storage.FileStorage` the upload wrote to) and base64-encoded
once per process and run, not per message; a small LRU keeps the builders of the last
few runs a worker served.
"""

from __future__ import annotations

from collections import OrderedDict
from email.utils import parseaddr

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from ..channels.headers import encode_header, one_line, slug
from ..channels.mime import Attachment, MimeBuilder
from ..channels.smtp import MailSettings, TemporaryFailure
from ..models import BroadcastFile
from ..state import get_state
from ..storage import get_file_storage
from .tables import campaigns

_builders: OrderedDict[tuple[object, ...], MimeBuilder] = OrderedDict()


def mime_builder(session: Session, campaign_id: int, run_key: str) -> MimeBuilder:
    """The :class:`MimeBuilder` of a run (sender and attachments loaded once; the 8 latest are cached).

    The cache is keyed by the app's state and the campaign row's creation time too: an app
    factory may build several apps in one process (tests do), and SQLite may give a deleted
    campaign's id to a new one — either way a campaign with the same id and run key is
    another campaign, with its own sender and files.

    :raises TemporaryFailure: no sender is configured, or an attachment's bytes cannot be
        read from the file storage (an e-mail never goes out without its attachments).
    """
    state = get_state()
    template_id, organization_id, created_at = session.execute(
        select(campaigns.c.template_id, campaigns.c.organization_id, campaigns.c.created_at).where(
            campaigns.c.id == campaign_id
        )
    ).one()
    key = (id(state), campaign_id, run_key, created_at)
    builder = _builders.get(key)
    if builder is not None:
        _builders.move_to_end(key)
        return builder
    settings = state.settings
    files = session.execute(
        select(BroadcastFile.filename, BroadcastFile.content_type, BroadcastFile.storage_key)
        .where(BroadcastFile.template_id == template_id)
        .order_by(BroadcastFile.id)
    ).all()
    sender = settings.mail_sender or MailSettings.from_app(current_app).default_sender
    if not sender:
        raise TemporaryFailure("no sender: set BROADCASTS_MAIL_SENDER or MAIL_DEFAULT_SENDER")
    sender = tuple(sender) if isinstance(sender, (list, tuple)) else sender
    builder = MimeBuilder(
        sender,
        campaign_id=campaign_id,
        run_key=run_key,
        message_id_domain=settings.message_id_domain,
        attachments=tuple(Attachment(f.filename, f.content_type, _read(f.filename, f.storage_key)) for f in files),
        list_id=list_id(organization_id, sender, settings.message_id_domain),
    )
    _builders[key] = builder
    while len(_builders) > 8:
        _builders.popitem(last=False)
    return builder


def list_id(organization_id: str, sender: str | tuple[str, str], domain: str | None) -> str:
    """The ``List-Id`` of an organization's broadcasts (RFC 2919): its name, then
    ``<org-<id>.<domain>>`` on the Message-ID domain (the sender's by default)."""
    address = sender[1] if isinstance(sender, tuple) else parseaddr(sender)[1]
    domain = one_line(domain or address.rpartition("@")[2] or "localhost")
    label = slug(f"org-{organization_id}").lower()
    name = one_line(get_state().extension.name_of_organization(organization_id)).replace('"', "").replace("\\", "")
    phrase = f'"{name}"' if name.isascii() else encode_header(name)
    return f"{phrase} <{label}.{slug(domain.replace('.', '_')).replace('_', '.')}>"


def _read(filename: str, key: str) -> bytes:
    """An attachment's bytes from the file storage; a storage that cannot give them stops the
    batch (retried later, as for a mail server that is down) instead of sending without them."""
    try:
        return get_file_storage().open(key)
    except Exception as exc:  # KeyError for missing bytes, or whatever the host's storage raises
        raise TemporaryFailure(f"attachment {filename!r}: the file storage cannot read it ({exc!r})") from exc
