"""The host's own opt-in on the example app: customers with ``marketing_opt_in = False`` are
kept out with ``error_code`` ``no_consent`` — in the preview and its counts (one COUNT), and
in a run sent by a real RQ worker to a real SMTP server on loopback; a source without a SQL
criterion falls back on each customer's ``broadcast_accepts``."""

from __future__ import annotations

import dataclasses
import datetime as dt

import pytest
from flask.testing import FlaskClient
from rq import Queue, SimpleWorker

from example_app.extensions import broadcasts, db
from example_app.models import Booking, Customer
from tests.support.example_fixtures import sql_statements
from tests.support.smtp import SmtpServer

JSONAPI = "application/vnd.api+json"


def _customers(tenant) -> dict[str, Customer]:
    people = {
        **{f"yes{i}": Customer(first_name=f"Yes{i}", email=f"yes{i}@example.com") for i in range(4)},
        **{
            f"no{i}": Customer(first_name=f"No{i}", email=f"no{i}@example.com", marketing_opt_in=False)
            for i in range(2)
        },
        "nomail": Customer(first_name="NoMail", email=None),
    }
    for customer in people.values():
        customer.organization_id = tenant.id
    db.session.add_all(people.values())
    db.session.commit()
    return people


def _post(client: FlaskClient, tenant, path: str, data: dict) -> dict:
    response = client.post(
        f"/api/{path}?o={tenant.id}", json={"data": data}, headers={**tenant.headers, "Content-Type": JSONAPI}
    )
    assert response.status_code == 201, response.get_json()
    return response.get_json()["data"]


def _get(client: FlaskClient, tenant, path: str, **params: str):
    answer = client.get(f"/api/{path}", query_string={"o": tenant.id, **params}, headers=tenant.headers)
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def _campaign(client: FlaskClient, tenant, audience_type: str = "customers", filters: dict | None = None) -> str:
    template = _post(
        client,
        tenant,
        "broadcast-templates",
        {
            "type": "broadcast-templates",
            "attributes": {
                "name": "News",
                "subject": "Hello {first_name}",
                "body": "<p>Hi {first_name}</p>",
                "channels": ["mail"],
                "binding_type": "booking" if audience_type == "bookings" else "customer",
            },
        },
    )
    audience = _post(
        client,
        tenant,
        "broadcast-audiences",
        {
            "type": "broadcast-audiences",
            "attributes": {"name": "All", "audience_type": audience_type, "filters": filters or {}},
        },
    )
    campaign = _post(
        client,
        tenant,
        "broadcast-campaigns",
        {
            "type": "broadcast-campaigns",
            "attributes": {"name": "March"},
            "relationships": {
                "template": {"data": {"type": "broadcast-templates", "id": template["id"]}},
                "audience": {"data": {"type": "broadcast-audiences", "id": audience["id"]}},
            },
        },
    )
    return campaign["id"]


def test_the_preview_and_its_counts_keep_the_opted_out_out_in_one_count(client: FlaskClient, tenant) -> None:
    _customers(tenant)
    cid = _campaign(client, tenant)
    with sql_statements() as statements:
        preview = _get(client, tenant, f"broadcast-campaigns/{cid}/draft-messages", with_counts="true")
    counts = [s for s in statements if "count(" in s.lower()]
    assert len(counts) == 1, counts  # total, no channel and no consent: one COUNT over the audience
    assert preview["meta"] == {
        "recipient_count": 7,
        "no_channel_count": 1,
        "suppressed_count": 0,
        "no_consent_count": 2,
    }
    drafts = {d["attributes"]["email"]: d["attributes"] for d in preview["data"]}
    assert (drafts["no0@example.com"]["channels"], drafts["no0@example.com"]["error"]) == ([], "no_consent")
    assert (drafts["yes0@example.com"]["channels"], drafts["yes0@example.com"]["error"]) == (["mail"], None)
    # The host's own filter selects on the same flag (an audience of those who said yes).
    opted_in = _campaign(client, tenant, filters={"marketing_opt_in": True})
    counted = _get(client, tenant, f"broadcast-campaigns/{opted_in}/draft-messages", with_counts="true")["meta"]
    assert (counted["recipient_count"], counted["no_consent_count"]) == (5, 0)


def test_a_booking_audience_asks_its_customers_opt_in(client: FlaskClient, tenant) -> None:
    people = _customers(tenant)
    for name in ("yes0", "no0", "no1"):
        db.session.add(
            Booking(
                organization_id=tenant.id,
                customer_id=people[name].id,
                date=dt.date(2026, 6, 1),
                service_name="Cut",
                status="accepted",
            )
        )
    db.session.commit()
    cid = _campaign(client, tenant, audience_type="bookings")
    with sql_statements() as statements:
        preview = _get(client, tenant, f"broadcast-campaigns/{cid}/draft-messages", with_counts="true")
    assert len([s for s in statements if "count(" in s.lower()]) == 1
    assert preview["meta"]["no_consent_count"] == 2 and preview["meta"]["recipient_count"] == 3
    assert sorted(d["attributes"]["error"] or "" for d in preview["data"]) == ["", "no_consent", "no_consent"]


def test_a_run_sends_only_to_the_opted_in(
    client: FlaskClient, tenant, mail_server: SmtpServer, run_queue: Queue
) -> None:
    _customers(tenant)
    cid = _campaign(client, tenant)
    assert client.post(f"/api/broadcast-campaigns/{cid}/start?o={tenant.id}", headers=tenant.headers).status_code == 200
    SimpleWorker([run_queue], connection=run_queue.connection).work(burst=True)
    done = _get(client, tenant, f"broadcast-campaigns/{cid}")["data"]["attributes"]
    assert (done["status"], done["sent_count"], done["failed_count"], done["total_count"]) == ("completed", 4, 3, 7)
    assert sorted(mail_server.recipients()) == [f"yes{i}@example.com" for i in range(4)]
    failed = _get(client, tenant, f"broadcast-campaigns/{cid}/messages", **{"filter[status]": "failed"})["data"]
    assert sorted((m["attributes"]["email"] or "", m["attributes"]["error_code"]) for m in failed) == [
        ("", "no_channel"),
        ("no0@example.com", "no_consent"),
        ("no1@example.com", "no_consent"),
    ]


def test_without_a_criterion_each_customers_broadcast_accepts_decides(
    client: FlaskClient, tenant, mail_server: SmtpServer, run_queue: Queue, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = broadcasts.audience_sources["customers"]
    monkeypatch.setitem(broadcasts.audience_sources, "customers", dataclasses.replace(source, consent_criterion=None))
    _customers(tenant)
    cid = _campaign(client, tenant)
    preview = _get(client, tenant, f"broadcast-campaigns/{cid}/draft-messages", with_counts="true")
    assert preview["meta"]["no_consent_count"] == 2  # counted by reading each customer
    assert client.post(f"/api/broadcast-campaigns/{cid}/start?o={tenant.id}", headers=tenant.headers).status_code == 200
    SimpleWorker([run_queue], connection=run_queue.connection).work(burst=True)
    assert sorted(mail_server.recipients()) == [f"yes{i}@example.com" for i in range(4)]
