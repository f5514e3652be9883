"""The spec's full workflow over HTTP on the example host: template, audience, campaign,
preview, start, send (a real RQ worker in this process, a real SMTP server on loopback),
monitor, stop — as an API client would do it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker

from example_app.extensions import db
from example_app.models import Customer
from flask_broadcasts import get_state
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"


@pytest.fixture
def smtp(app: Flask) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=server.port, MAIL_DEFAULT_SENDER="news@example.com")
    app.extensions["mail"].server = "127.0.0.1"
    app.extensions["mail"].port = server.port
    # Flask-Mail suppresses sending under TESTING; this test wants the real SMTP exchange.
    app.extensions["mail"].suppress = False
    yield server
    server.stop()


@pytest.fixture
def queue(app: Flask) -> Queue:
    # A queue of our own so that parallel runs on a shared Redis never take each other's jobs.
    state = get_state()
    state.settings.queue = f"test-flow-{uuid.uuid4().hex[:8]}"
    return Queue(state.settings.queue, connection=state.redis)


def post(client: FlaskClient, tenant, path: str, data: dict) -> dict:
    response = client.post(
        f"/api/{path}?o={tenant.id}", json={"data": data}, headers={**tenant.headers, "Content-Type": JSONAPI}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def get(client: FlaskClient, tenant, path: str, **params: str):
    return client.get(f"/api/{path}", query_string={"o": tenant.id, **params}, headers=tenant.headers)


def add_customers(tenant, count: int) -> None:
    db.session.add_all(
        Customer(
            organization_id=tenant.id,
            first_name=f"Ada{i}",
            last_name="Lovelace",
            email=f"ada{i}@example.com",
            mobile=None,
            locale="fr" if i % 2 else "en",
            status="active",
        )
        for i in range(count)
    )
    db.session.add(
        Customer(
            organization_id=tenant.id,
            first_name="NoMail",
            last_name="X",
            email=None,
            mobile=None,
            locale="en",
            status="active",
        )
    )
    db.session.commit()


def test_full_workflow_over_http(client: FlaskClient, tenant, other_tenant, smtp: SmtpServer, queue: Queue) -> None:
    add_customers(tenant, 12)
    template = post(
        client,
        tenant,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "March",
                "subject": "Hello {first_name}!",
                "body": "<p>Hi {first_name}</p>",
                "subject_i18n": {"fr": "Bonjour {first_name} !"},
                "channels": ["mail"],
                "action_label": "View",
                "action_url": "https://example.com/u",
            },
        },
    )
    audience = post(
        client,
        tenant,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "Active", "audience_type": "customers", "filters": {"status": "active"}},
        },
    )
    campaign = post(
        client,
        tenant,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "March 2026"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
            },
        },
    )
    cid = campaign["id"]
    assert campaign["attributes"]["status"] == "draft"

    preview = get(client, tenant, f"broadcast-campaigns/{cid}/draft-messages").get_json()
    assert len(preview["data"]) == 10
    assert preview["data"][1]["attributes"]["subject"] == "Bonjour Ada1 !"

    # Another organization cannot see, start or stop it.
    for action in ("", "/start", "/stop"):
        assert get(client, other_tenant, f"broadcast-campaigns/{cid}{action}").status_code == 404

    started = get(client, tenant, f"broadcast-campaigns/{cid}/start")
    assert started.status_code == 200, started.get_json()
    assert started.headers["Content-Type"] == JSONAPI
    assert started.get_json()["data"]["attributes"]["status"] == "pending"
    again = get(client, tenant, f"broadcast-campaigns/{cid}/start")
    assert again.status_code == 409

    SimpleWorker([queue], connection=queue.connection).work(burst=True)

    done = get(client, tenant, f"broadcast-campaigns/{cid}").get_json()["data"]["attributes"]
    assert (done["status"], done["sent_count"], done["failed_count"], done["total_count"]) == ("completed", 12, 1, 13)
    assert sorted(smtp.recipients()) == sorted(f"ada{i}@example.com" for i in range(12))

    failed = get(client, tenant, f"broadcast-campaigns/{cid}/messages", **{"filter[status]": "failed"}).get_json()[
        "data"
    ]
    assert [m["attributes"]["error"] for m in failed] == ["no_channel"]
    sent = get(
        client,
        tenant,
        f"broadcast-campaigns/{cid}/messages",
        include="customer,sent_email",
        **{"filter[status]": "completed", "page[size]": "5"},
    ).get_json()
    assert len(sent["data"]) == 5 and "next" in sent["links"]
    # Each stored message carries its recipient's locale (the body had no French variant).
    assert {(m["attributes"]["email"], m["attributes"]["locale"]) for m in sent["data"][:2]} == {
        ("ada0@example.com", "en"),
        ("ada1@example.com", "fr"),
    }
    assert {r["type"] for r in sent["included"]} == {"customers", "broadcast-sent-emails"}

    # Stop on a completed campaign makes it a draft again; starting again reaches nobody twice.
    stopped = get(client, tenant, f"broadcast-campaigns/{cid}/stop")
    assert stopped.status_code == 200 and stopped.get_json()["data"]["attributes"]["status"] == "draft"
    # The campaign says why it is a draft again; starting it clears that.
    assert stopped.get_json()["data"]["attributes"]["status_reason"] == "stopped"
    restarted = get(client, tenant, f"broadcast-campaigns/{cid}/start")
    assert restarted.status_code == 200 and restarted.get_json()["data"]["attributes"]["status_reason"] is None
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert get(client, tenant, f"broadcast-campaigns/{cid}").get_json()["data"]["attributes"]["status"] == "completed"
    assert smtp.count() == 12
    runs = get(client, tenant, f"broadcast-campaigns/{cid}").get_json()["data"]["meta"]["recent_runs"]
    assert [(r["run_key"], r["status"], r["sent_count"], r["failed_count"], r["total_count"]) for r in runs] == [
        ("once", "completed", 12, 1, 13)
    ]
