"""Tests of flask_broadcasts.webhooks.service, called as the HTTP layer and a host's own code call it.

What a user relies on: the secret is handed out exactly once (at creation and at each
rotation) and the previous one keeps signing for the grace period; a URL the SSRF guard
refuses never gets stored, wherever it comes in; another organization's webhook does not
exist; a redelivery is a new attempt with the same ``webhook-id``.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from flask import Flask

from flask_broadcasts.errors import ConflictError, InvalidInputError, NotFoundError
from flask_broadcasts.models import BroadcastWebhook, BroadcastWebhookDelivery, utcnow
from flask_broadcasts.state import get_state
from flask_broadcasts.webhooks import service
from tests.support.host import ORG, OTHER_ORG, db, make_app
from tests.support.host_fixtures import database_uri  # noqa: F401
from tests.support.webhooks import RecordingWebhookQueue

URL = "https://hooks.example.com/in"


@pytest.fixture(autouse=True)
def _hooks_example_com_is_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """No DNS here: the receivers' name resolves to a public address (example.com's), every
    other name as it would."""
    resolve = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
        if host == "hooks.example.com":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("93.184.215.14", 443))]
        return resolve(host, *args, **kwargs)

    monkeypatch.setattr("socket.getaddrinfo", getaddrinfo)


@pytest.fixture
def app(database_uri: str) -> Iterator[Flask]:  # noqa: F811 - the fixture of tests.support.host_fixtures
    app = make_app(database_uri, BROADCASTS_WEBHOOK_SECRET_GRACE=3600)
    with app.app_context():
        get_state(app).webhook_queue = RecordingWebhookQueue()
        yield app
        db.session.remove()
        db.engine.dispose()


def _pointers(excinfo: pytest.ExceptionInfo[InvalidInputError]) -> set[str]:
    return {error.pointer for error in excinfo.value.errors}


def test_the_secret_is_handed_out_at_creation_and_rotation_only(app) -> None:
    created = service.create_webhook(ORG, {"url": URL, "events": ["campaign.completed"]})
    assert created.secret.startswith("whsec_")
    assert service.get_webhook(ORG, str(created.id)).secret is None  # a read never shows it

    rotated = service.rotate_secret(ORG, str(created.id))
    stored = db.session.get(BroadcastWebhook, created.id)
    assert rotated.secret != created.secret and stored.signing_secret == rotated.secret
    assert stored.previous_signing_secret == created.secret  # still signs, for the grace period
    assert stored.previous_secret_expires_at > utcnow()


def test_a_refused_url_or_event_is_never_stored_on_create_or_update(app) -> None:
    with pytest.raises(InvalidInputError) as refused:
        service.create_webhook(ORG, {"url": "http://127.0.0.1:6379/", "events": ["no.such.event"]})
    pointers = _pointers(refused)
    assert "/data/attributes/url" in pointers, pointers
    assert any(p.startswith("/data/attributes/events") for p in pointers), pointers
    assert db.session.query(BroadcastWebhook).count() == 0

    webhook = service.create_webhook(ORG, {"url": URL, "events": ["campaign.completed"]})
    with pytest.raises(InvalidInputError) as refused:
        service.update_webhook(ORG, str(webhook.id), {"url": "http://169.254.169.254/latest/meta-data"})
    assert _pointers(refused) == {"/data/attributes/url"}
    db.session.rollback()
    assert db.session.get(BroadcastWebhook, webhook.id).url == URL


def test_another_organizations_webhook_does_not_exist(app) -> None:
    webhook = service.create_webhook(ORG, {"url": URL, "events": ["campaign.completed"]})
    for call in (
        lambda: service.get_webhook(OTHER_ORG, str(webhook.id)),
        lambda: service.update_webhook(OTHER_ORG, str(webhook.id), {"active": False}),
        lambda: service.rotate_secret(OTHER_ORG, str(webhook.id)),
        lambda: service.delete_webhook(OTHER_ORG, str(webhook.id)),
    ):
        with pytest.raises(NotFoundError):
            call()
    assert service.get_webhook(ORG, str(webhook.id)).active
    assert db.session.execute(service.list_webhooks(OTHER_ORG)).all() == []


def test_a_redelivery_is_a_new_attempt_of_the_same_event_and_needs_an_active_webhook(app) -> None:
    webhook = service.create_webhook(ORG, {"url": URL, "events": ["campaign.completed"]})
    original = BroadcastWebhookDelivery(
        organization_id=ORG,
        webhook_id=webhook.id,
        event_type="campaign.completed",
        event_id="msg_original",
        payload='{"type": "campaign.completed"}',
        status="failed",
        attempts=5,
        created_at=utcnow(),
    )
    db.session.add(original)
    db.session.commit()

    again = service.redeliver(ORG, str(original.id))
    assert again.id != original.id
    assert (again.event_id, again.payload, again.status, again.attempts) == (
        "msg_original",
        original.payload,
        "pending",
        0,
    )
    assert get_state().webhook_queue.take() == [again.id]

    service.update_webhook(ORG, str(webhook.id), {"active": False})
    with pytest.raises(ConflictError) as inactive:
        service.redeliver(ORG, str(original.id))
    assert inactive.value.error_code == "webhook_inactive"
