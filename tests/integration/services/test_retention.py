"""``flask broadcasts purge``: old messages of ended runs, test sends and settled webhook
deliveries go, in batches; live runs, the figures, suppressions and other tenants stay."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from flask_broadcasts.engine import materialize, sending
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.models import (
    BroadcastCampaign,
    BroadcastConsentEvent,
    BroadcastFeedbackEvent,
    BroadcastMessage,
    BroadcastRun,
    BroadcastSentEmail,
    BroadcastSuppression,
    BroadcastTestSend,
    BroadcastWebhook,
    BroadcastWebhookDelivery,
    utcnow,
)
from flask_broadcasts.services.retention import purge
from tests.support.fixtures import ORG, make_campaign, seed_customers

RECIPIENTS = 5
LONG_AGO = utcnow() - timedelta(days=40)


def _sent(campaign_id: int) -> int:
    start_campaign(ORG, campaign_id)
    materialize.materialize_run(campaign_id, "once", "test-materializer")
    while sending.send_batch(campaign_id, "once", "test-sender").claimed:
        pass
    return campaign_id


def _age_run(db, campaign_id: int, **values) -> None:
    db.session.execute(sa.update(BroadcastRun).where(BroadcastRun.campaign_id == campaign_id).values(**values))
    db.session.commit()


def _move_to_organization(db, campaign_id: int, organization_id: str) -> None:
    for model, column in ((BroadcastCampaign, BroadcastCampaign.id), (BroadcastRun, BroadcastRun.campaign_id)):
        db.session.execute(sa.update(model).where(column == campaign_id).values(organization_id=organization_id))
    db.session.execute(
        sa.update(BroadcastMessage)
        .where(BroadcastMessage.campaign_id == campaign_id)
        .values(organization_id=organization_id)
    )
    db.session.commit()


def _messages(db, campaign_id: int) -> int:
    return db.session.scalar(sa.select(sa.func.count()).where(BroadcastMessage.campaign_id == campaign_id))


def _count(db, model) -> int:
    return db.session.scalar(sa.select(sa.func.count()).select_from(model))


@pytest.fixture
def world(app, smtp):
    from tests.support.hostapp import db

    seed_customers(RECIPIENTS)
    old, recent, other_tenant = _sent(make_campaign()), _sent(make_campaign()), _sent(make_campaign())
    _age_run(db, old, completed_at=LONG_AGO)
    _age_run(db, other_tenant, completed_at=LONG_AGO)
    _move_to_organization(db, other_tenant, "org-2")
    live = make_campaign()  # started 40 days ago and not sent yet (a paused or stuck run)
    start_campaign(ORG, live)
    materialize.materialize_run(live, "once", "test-materializer")
    _age_run(db, live, started_at=LONG_AGO)

    webhook = BroadcastWebhook(organization_id=ORG, url="https://hooks.example.test/", signing_secret="whsec_x")
    db.session.add(webhook)
    db.session.flush()

    def delivery(status: str, created_at) -> BroadcastWebhookDelivery:
        return BroadcastWebhookDelivery(
            organization_id=ORG,
            webhook_id=webhook.id,
            event_type="campaign.completed",
            event_id=f"msg_{status}_{created_at.timestamp()}",
            payload="{}",
            status=status,
            created_at=created_at,
        )

    first_old = db.session.scalar(
        sa.select(sa.func.min(BroadcastMessage.id)).where(BroadcastMessage.campaign_id == old)
    )
    db.session.add_all(
        [
            BroadcastFeedbackEvent(
                organization_id=ORG, message_id=first_old, provider="ses", event_key="k" * 64, kind="delivered"
            ),
            delivery("delivered", LONG_AGO),
            delivery("failed", LONG_AGO),
            delivery("pending", LONG_AGO),  # still being retried: kept
            delivery("delivered", utcnow()),
            BroadcastTestSend(organization_id=ORG, campaign_id=old, to=["t@example.test"], created_at=LONG_AGO),
            BroadcastTestSend(organization_id=ORG, campaign_id=recent, to=["t@example.test"]),
            BroadcastConsentEvent(
                organization_id=ORG,
                channel="mail",
                address="c1@example.test",
                action="withdrawn",
                method="page",
                created_at=LONG_AGO,
            ),
            BroadcastSuppression(
                organization_id=ORG,
                channel="mail",
                address="c1@example.test",
                reason="unsubscribed",
                source_kind="user",
            ),
        ]
    )
    db.session.commit()
    return {"old": old, "recent": recent, "other_tenant": other_tenant, "live": live}


def test_messages_of_runs_ended_before_the_cutoff_go_and_everything_else_stays(app, world):
    from tests.support.hostapp import db

    assert _count(db, BroadcastSentEmail) == 3 * RECIPIENTS  # one per e-mail sent
    result = purge(timedelta(days=30), organization_id=ORG, batch_size=2)  # several batches

    assert result.items() == [
        ("messages", 5),
        ("sent_emails", 5),
        ("feedback_events", 1),
        ("tracking_events", 0),
        ("test_sends", 1),
        ("webhook_deliveries", 2),
        ("consent_events", 0),
    ]
    assert _messages(db, world["old"]) == 0
    assert [_messages(db, world[name]) for name in ("recent", "other_tenant", "live")] == [RECIPIENTS] * 3
    assert _count(db, BroadcastSentEmail) == 2 * RECIPIENTS
    assert sorted(db.session.scalars(sa.select(BroadcastWebhookDelivery.status))) == ["delivered", "pending"]
    assert _count(db, BroadcastTestSend) == 1 and _count(db, BroadcastSuppression) == 1
    assert _count(db, BroadcastConsentEvent) == 1  # kept: it proves the withdrawal
    # The run's figures outlive its messages.
    old = db.session.get(BroadcastCampaign, world["old"])
    assert (old.status, old.sent_count, old.total_count) == ("completed", RECIPIENTS, RECIPIENTS)

    assert purge(timedelta(days=30), organization_id=ORG).items() == [
        ("messages", 0),
        ("sent_emails", 0),
        ("feedback_events", 0),
        ("tracking_events", 0),
        ("test_sends", 0),
        ("webhook_deliveries", 0),
        ("consent_events", 0),
    ]  # run again: nothing more
    assert purge(timedelta(days=30)).messages == RECIPIENTS  # every organization: org-2's old run
    assert _messages(db, world["other_tenant"]) == 0 and _messages(db, world["live"]) == RECIPIENTS
    # Only when asked: consent records go, the suppression itself never does.
    assert purge(timedelta(days=30), consent=True).consent_events == 1
    assert _count(db, BroadcastConsentEvent) == 0 and _count(db, BroadcastSuppression) == 1


def test_the_command_reports_what_it_deleted(app, world):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["broadcasts", "purge", "--older-than", "30", "--organization", ORG])
    assert result.exit_code == 0, result.output
    assert result.output.splitlines() == [
        f"Purged rows older than 30 days (organization {ORG}):",
        "  messages             5",
        "  sent emails          5",
        "  feedback events      1",
        "  tracking events      0",
        "  test sends           1",
        "  webhook deliveries   2",
    ]
    refused = runner.invoke(args=["broadcasts", "purge", "--older-than", "-1"])
    assert refused.exit_code == 2 and "-1 is not in the range x>=0" in refused.output
    from tests.support.hostapp import db

    assert _count(db, BroadcastMessage) == 3 * RECIPIENTS  # the recent, the other tenant's, the live run's
