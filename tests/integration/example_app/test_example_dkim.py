"""DKIM on a real run: every e-mail a real SMTP server on loopback receives from the example
app's campaign verifies with the key pair the test made (dkimpy, its DNS lookup injected), its
signature covers the one-click headers, and a header changed on the way fails it."""

from __future__ import annotations

import dataclasses

import dkim
import pytest
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker

from example_app.extensions import db
from example_app.models import Customer
from flask_broadcasts import get_state
from flask_broadcasts.channels.dkim import build_dkim_signer
from tests.support.dkim import dns, ed25519_key_pair, rsa_key_pair
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"
DOMAIN = "example.com"  # the example app's sender, news@example.com


def _post(client: FlaskClient, tenant, path: str, data: dict) -> str:
    answer = client.post(
        f"/api/{path}?o={tenant.id}", json={"data": data}, headers={**tenant.headers, "Content-Type": JSONAPI}
    )
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["data"]["id"]


@pytest.mark.parametrize("pair", [rsa_key_pair, ed25519_key_pair], ids=["rsa-2048", "ed25519"])
def test_every_received_email_verifies_and_a_tampered_one_fails(
    app, client: FlaskClient, tenant, mail_server: SmtpServer, run_queue: Queue, pair
) -> None:
    keys = pair()
    state = get_state()
    app.config["BROADCASTS_PUBLIC_URL"] = "https://app.example.test"
    state.settings.public_url = "https://app.example.test"
    state.dkim_signer = build_dkim_signer(
        dataclasses.replace(
            state.settings, dkim_domain=DOMAIN, dkim_selector="mar26", dkim_private_key=keys.private_pem
        )
    )
    db.session.add_all(
        Customer(organization_id=tenant.id, first_name=f"Ann{i}", email=f"ann{i}@example.org") for i in range(3)
    )
    db.session.commit()
    template = _post(
        client,
        tenant,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {"name": "N", "subject": "Hello {first_name}", "body": "<p>Hi</p>", "channels": ["mail"]},
        },
    )
    audience = _post(
        client,
        tenant,
        "broadcast-audiences",
        {"type": "broadcast-audiences", "attributes": {"name": "All", "audience_type": "customers"}},
    )
    campaign = _post(
        client,
        tenant,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "March"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience}},
            },
        },
    )
    started = client.post(f"/api/broadcast-campaigns/{campaign}/start?o={tenant.id}", headers=tenant.headers)
    assert started.status_code == 200
    SimpleWorker([run_queue], connection=run_queue.connection).work(burst=True)

    lookup = dns({f"mar26._domainkey.{DOMAIN}": keys.txt})
    assert sorted(mail_server.recipients()) == [f"ann{i}@example.org" for i in range(3)]
    for received in mail_server.received:
        message = received.message
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        signature = " ".join(message["DKIM-Signature"].split())
        assert "list-unsubscribe : list-unsubscribe-post" in signature and f"d={DOMAIN}" in signature
        assert dkim.verify(received.data, dnsfunc=lookup), message["To"]
    data = mail_server.received[0].data
    unsubscribe = mail_server.received[0].message["List-Unsubscribe"].encode()
    assert not dkim.verify(data.replace(unsubscribe, b"<https://evil.example/u>"), dnsfunc=lookup)
    assert not dkim.verify(data.replace(b"\r\nSubject: Hello", b"\r\nSubject: Hullo"), dnsfunc=lookup)
