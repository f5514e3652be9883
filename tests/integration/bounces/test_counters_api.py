"""The feedback counters as an API client reads them: on the campaign resource, on each of
``meta.recent_runs``, and declared (read-only integers) in the OpenAPI document."""

from __future__ import annotations

import sqlalchemy as sa

from flask_broadcasts.feedback import apply_bounce
from flask_broadcasts.signing import verp_address
from tests.support import bounces
from tests.support.bounce_runs import BOUNCES, messages_of, run_campaign
from tests.support.fixtures import ORG, seed_customers, set_config
from tests.support.jsonapi_fixtures import JSONAPI

COUNTERS = ("delivered_count", "bounced_count", "complained_count")


def test_the_campaign_resource_and_its_runs_carry_the_feedback_counters(app, env, smtp):
    from tests.support.hostapp import Customer, db

    set_config(env, app, BROADCASTS_BOUNCE_ADDRESS=BOUNCES)
    seed_customers(3)
    db.session.execute(sa.update(Customer).where(Customer.id == 3).values(email="nosuchuser3@example.test"))
    db.session.commit()
    campaign_id = run_campaign()
    bob = messages_of(campaign_id)["c2@example.test"]
    apply_bounce(bounces.rfc3464(verp_address(BOUNCES, bob.id), bob.email))  # one by mail, one at send time

    answer = app.test_client().get(
        f"/api/broadcast-campaigns/{campaign_id}?o={ORG}",
        headers={"Authorization": "Bearer token-org-1", "Accept": JSONAPI},
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)
    document = answer.get_json()
    attributes = document["data"]["attributes"]
    assert {name: attributes[name] for name in ("sent_count", "failed_count", *COUNTERS)} == {
        "sent_count": 1,
        "failed_count": 2,
        "delivered_count": 0,
        "bounced_count": 2,
        "complained_count": 0,
    }
    (run,) = document["data"]["meta"]["recent_runs"]
    assert {name: run[name] for name in COUNTERS} == {"delivered_count": 0, "bounced_count": 2, "complained_count": 0}


def test_the_openapi_document_declares_them(app):
    spec = app.test_client().get("/api/broadcasts-docs/openapi.json").get_json()
    resource = spec["components"]["schemas"]["CampaignResource"]
    attributes = resource["properties"]["attributes"]["properties"]
    for name in COUNTERS:
        assert attributes[name]["type"] == "integer" and attributes[name]["readOnly"] is True, name
        assert attributes[name]["description"]
