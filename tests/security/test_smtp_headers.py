"""Headers at the SMTP server: CR/LF (and other line breaks) in recipient names, addresses
and template texts never add a header or a recipient. Asserted on what a real aiosmtpd
server on loopback received, after a real run of the sending engine (in-process jobs)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from flask import Flask

from example_app.extensions import db
from example_app.models import Customer
from flask_broadcasts.background import jobs
from flask_broadcasts.state import get_state
from tests.support.security import TALLY, World, build_app, empty_tables, make_world
from tests.support.smtp import SmtpServer

FAMILY = "smtp headers"
EVIL = "evil@attacker.example"
#: The only headers a broadcast e-mail may carry (lower case).
ALLOWED_HEADERS = {
    "from",
    "to",
    "subject",
    "date",
    "message-id",
    "mime-version",
    "content-type",
    "content-transfer-encoding",
    "list-unsubscribe",
    "list-unsubscribe-post",
    "auto-submitted",
    "precedence",
    "x-broadcast-campaign",
    "reply-to",
    "x-auto-response-suppress",
    "feedback-id",
    "list-id",
}

NAMES = [
    f"Ann\r\nBcc: {EVIL}",
    f"Ann\nBcc: {EVIL}",
    f"Ann\rBcc: {EVIL}",
    "Ann\r\n\r\n<html>injected body</html>",
    f"Ann\u2028Bcc: {EVIL}",
    f"Ann\x85Bcc: {EVIL}",
    f'"Ann" <{EVIL}>',
]
ADDRESSES = [
    f"victim1@example.com\r\nBcc: {EVIL}",
    f"victim2@example.com\nRCPT TO:<{EVIL}>",
    f"victim3@example.com, {EVIL}",
    f"victim4@example.com; {EVIL}",
    f"Victim <victim5@example.com>, <{EVIL}>",
    f"victim6@example.com>\r\nRCPT TO:<{EVIL}",
]


class RecordingDispatcher:
    """Records the jobs the engine asks for; the test runs them in-process."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, int, str]] = []

    def materialize(self, campaign_id: int, run_key: str) -> None:
        self.calls.append(("materialize", campaign_id, run_key))

    def send(self, campaign_id: int, run_key: str, *, tag: str = "", at=None) -> None:
        self.calls.append(("send", campaign_id, run_key))

    def cancel(self, campaign_id: int) -> int:
        return 0

    def has_waiting_send(self, campaign_id: int, run_key: str) -> bool:
        return any(c[0] == "send" and c[1] == campaign_id for c in self.calls)

    def drain(self) -> None:
        for _ in range(50):
            if not self.calls:
                return
            kind, campaign_id, run_key = self.calls.pop(0)
            (jobs.materialize_run if kind == "materialize" else jobs.send_batch)(campaign_id, run_key)


class NullPublisher:
    def publish(self, *args: Any, **kwargs: Any) -> None:
        pass

    def __getattr__(self, name: str) -> Any:
        return lambda *args, **kwargs: None


@pytest.fixture
def mail_app(security_database: str, smtp: SmtpServer) -> Iterator[tuple[Flask, World, RecordingDispatcher]]:
    app = build_app(
        security_database,
        MAIL_SERVER="127.0.0.1",
        MAIL_PORT=smtp.port,
        MAIL_DEFAULT_SENDER="News <news@example.com>",
        MAIL_SUPPRESS_SEND=False,
    )
    with app.app_context():
        empty_tables()
        world = make_world()
        state = get_state()
        dispatcher = RecordingDispatcher()
        state.dispatcher = dispatcher
        state._publisher = NullPublisher()
        yield app, world, dispatcher
        db.session.remove()


def _api(app: Flask, world: World, method: str, path: str, document: Any) -> Any:
    return app.test_client().open(
        f"/api{path}?o={world.a.org}", method=method, headers=world.a.headers, data=json.dumps(document)
    )


def _run(app: Flask, world: World, dispatcher: RecordingDispatcher, template: dict[str, Any]) -> int:
    created = _api(
        app,
        world,
        "POST",
        "/broadcast-templates",
        {"data": {"type": "broadcast-templates", "attributes": {"name": "H", **template}}},
    )
    assert created.status_code == 201, created.get_data(as_text=True)
    campaign = _api(
        app,
        world,
        "POST",
        "/broadcast-campaigns",
        {
            "data": {
                "type": "broadcast-campaigns",
                "attributes": {"name": "H"},
                "relationships": {
                    "template": {"data": {"type": "broadcast-templates", "id": created.get_json()["data"]["id"]}},
                    "audience": {"data": {"type": "broadcast-audiences", "id": world.a.audience}},
                },
            }
        },
    )
    assert campaign.status_code == 201, campaign.get_data(as_text=True)
    campaign_id = int(campaign.get_json()["data"]["id"])
    started = app.test_client().get(
        f"/api/broadcast-campaigns/{campaign_id}/start?o={world.a.org}", headers=world.a.headers
    )
    assert started.status_code == 200, started.get_data(as_text=True)
    dispatcher.drain()
    return campaign_id


def _assert_clean(smtp: SmtpServer, expected_recipients: int) -> None:
    recipients = smtp.recipients()
    leaked = EVIL in " ".join(recipients)
    for received in smtp.received:
        message = received.message
        names = {key.lower() for key in message}
        extra = names - ALLOWED_HEADERS
        bcc = message.get_all("Bcc") or message.get_all("Cc")
        raw_headers = received.data.split(b"\r\n\r\n", 1)[0]
        # The attacker's text may appear inside the Subject (as inert text); never as a header.
        lines = raw_headers.lower().split(b"\r\n")
        injected = bool(extra) or bool(bcc) or any(line.startswith((b"bcc:", b"cc:", b"x-evil")) for line in lines)
        injected = injected or len(message.get_all("To") or []) != 1 or len(received.rcpt_tos) != 1
        injected = injected or EVIL in (message.get("To") or "")
        TALLY.probe(FAMILY, leaked=injected or leaked)
        assert not extra, extra
        assert not bcc
        assert len(received.rcpt_tos) == 1, received.rcpt_tos
        assert len(message.get_all("To")) == 1 and len(message.get_all("Subject")) == 1
        for line in raw_headers.split(b"\r\n"):
            assert b"\n" not in line and b"\r" not in line
            assert not line.lower().startswith((b"bcc:", b"rcpt to"))
    assert not leaked, recipients
    assert len(recipients) <= expected_recipients


def test_line_breaks_in_recipient_names_add_no_header(mail_app: Any, smtp: SmtpServer) -> None:
    app, world, dispatcher = mail_app
    for i, name in enumerate(NAMES):
        db.session.add(
            Customer(
                organization_id=int(world.a.org),
                first_name=name,
                last_name=name,
                email=f"n{i}@example.com",
                locale="en",
            )
        )
    db.session.commit()
    _run(
        app,
        world,
        dispatcher,
        {
            "subject": "Hello {first_name} {last_name}",
            "body": "<p>Hi {first_name}</p>",
            "channels": ["mail"],
            "action_label": "Open",
            "action_url": "https://example.com/?n={first_name}",
        },
    )
    assert smtp.count() >= len(NAMES)
    _assert_clean(smtp, len(NAMES) + 1)


def test_line_breaks_and_lists_in_addresses_add_no_recipient(mail_app: Any, smtp: SmtpServer) -> None:
    app, world, dispatcher = mail_app
    for i, address in enumerate(ADDRESSES):
        db.session.add(Customer(organization_id=int(world.a.org), first_name=f"V{i}", email=address))
    db.session.commit()
    campaign_id = _run(app, world, dispatcher, {"subject": "Hello", "body": "<p>Hi</p>", "channels": ["mail"]})
    _assert_clean(smtp, len(ADDRESSES) + 1)
    assert EVIL not in json.dumps(smtp.recipients())
    TALLY.notes["smtp: addresses accepted of the hostile list"] = sorted(smtp.recipients())
    assert campaign_id


@pytest.mark.parametrize(
    "field, value",
    [
        ("subject", f"Hello\r\nBcc: {EVIL}"),
        ("subject", "Hello\nX-Evil: 1"),
        ("subject", "Hello\rX-Evil: 1"),
        ("action_label", "Open\r\nBcc: x"),
        ("name", "T\r\nBcc: x"),
    ],
)
def test_line_breaks_in_template_texts(mail_app: Any, smtp: SmtpServer, field: str, value: str) -> None:
    app, world, _ = mail_app
    attributes = {"name": "T", "subject": "S", "body": "<p>B</p>", "channels": ["mail"], field: value}
    response = _api(
        app, world, "POST", "/broadcast-templates", {"data": {"type": "broadcast-templates", "attributes": attributes}}
    )
    if field == "name":
        # An internal name never reaches a header; it may hold a line break.
        TALLY.probe(FAMILY, server_error=response.status_code >= 500)
        assert response.status_code in (201, 422)
        return
    TALLY.probe(FAMILY, leaked=response.status_code != 422, server_error=response.status_code >= 500)
    assert response.status_code == 422
    assert response.get_json()["errors"][0]["source"]["pointer"] == f"/data/attributes/{field}"


def test_line_breaks_in_localized_subjects(mail_app: Any, smtp: SmtpServer) -> None:
    app, world, _ = mail_app
    attributes = {
        "name": "T",
        "subject": "S",
        "body": "<p>B</p>",
        "channels": ["mail"],
        "subject_i18n": {"fr": f"Salut\r\nBcc: {EVIL}"},
    }
    response = _api(
        app, world, "POST", "/broadcast-templates", {"data": {"type": "broadcast-templates", "attributes": attributes}}
    )
    TALLY.probe(FAMILY, leaked=response.status_code != 422)
    assert response.status_code == 422
