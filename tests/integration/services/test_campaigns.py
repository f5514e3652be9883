"""Tests of flask_broadcasts.services.campaigns.

Validation with pointers, tenant scoping, draft-only edits."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from flask_broadcasts.errors import ConflictError, InvalidInputError, NotFoundError
from flask_broadcasts.models import BroadcastCampaign, BroadcastMessage
from flask_broadcasts.services import campaigns as svc
from flask_broadcasts.statuses import CampaignStatus
from tests.support import host_fixtures
from tests.support.host_fixtures import (
    ORG_A,
    ORG_B,
    db,
    make_audience,
    make_campaign,
    make_customer,
    make_message,
    make_template,
)

# The plain small host (no Redis, no SMTP), not this folder's sending one.
app = host_fixtures.app


def values(template, audience, **extra):
    return {"name": "March", "template": str(template.id), "audience": str(audience.id), **extra}


def pointers(err: InvalidInputError) -> dict[str, str | None]:
    return {e.pointer: e.error_code for e in err.errors}


def test_create_minimal(app):
    template, audience = make_template(), make_audience()
    campaign = svc.create_campaign(ORG_A, values(template, audience, name="  March  "))
    assert campaign.name == "March"
    assert campaign.status_enum is CampaignStatus.DRAFT
    assert campaign.recurring is False and campaign.timezone == "UTC" and campaign.cron is None
    assert campaign.template.id == template.id and campaign.audience.id == audience.id


def test_create_recurring_normalizes_cron(app):
    template, audience = make_template(), make_audience()
    at = datetime(2026, 4, 1, 9, tzinfo=UTC)
    campaign = svc.create_campaign(
        ORG_A, values(template, audience, recurring=True, cron="0  9 * * 1", timezone="Europe/Paris", scheduled_at=at)
    )
    assert campaign.cron == "0 9 * * 1" and campaign.timezone == "Europe/Paris" and campaign.scheduled_at == at


def test_create_reports_every_problem_with_pointers(app):
    template, audience = make_template(), make_audience()
    with pytest.raises(InvalidInputError) as info:
        svc.create_campaign(
            ORG_A,
            values(
                template,
                audience,
                name=" ",
                scheduled_at=datetime(2026, 4, 1, 9),
                timezone="Mars/Base",
                recurring=True,
                cron="0 9 * *",
            ),
        )
    assert pointers(info.value) == {
        "/data/attributes/name": "required",
        "/data/attributes/scheduled_at": "naive_datetime",
        "/data/attributes/timezone": "invalid_timezone",
        "/data/attributes/cron": "invalid_cron",
    }


def test_recurring_needs_cron(app):
    template, audience = make_template(), make_audience()
    with pytest.raises(InvalidInputError) as info:
        svc.create_campaign(ORG_A, values(template, audience, recurring=True))
    assert pointers(info.value) == {"/data/attributes/cron": "cron_required"}


def test_template_and_audience_required(app):
    with pytest.raises(InvalidInputError) as info:
        svc.create_campaign(ORG_A, {"name": "x"})
    assert set(pointers(info.value)) == {"/data/relationships/template", "/data/relationships/audience"}


@pytest.mark.parametrize("which", ["template", "audience"])
def test_other_organization_relationship_is_not_found(app, which):
    mine = {"template": make_template(), "audience": make_audience()}
    mine[which] = (make_template if which == "template" else make_audience)(ORG_B)
    with pytest.raises(NotFoundError):
        svc.create_campaign(ORG_A, values(mine["template"], mine["audience"]))
    with pytest.raises(NotFoundError):
        svc.create_campaign(ORG_A, {**values(make_template(), make_audience()), which: "999999"})
    with pytest.raises(NotFoundError):
        svc.create_campaign(ORG_A, {**values(make_template(), make_audience()), which: "abc"})


def test_booking_template_on_customers_audience_is_refused(app):
    template = make_template(binding_type="booking")
    with pytest.raises(InvalidInputError) as info:
        svc.create_campaign(ORG_A, values(template, make_audience(audience_type="customers")))
    assert pointers(info.value) == {"/data/relationships/audience": "binding_type_mismatch"}
    # ...while bookings offer every customer variable, so a customer template fits them.
    assert svc.create_campaign(ORG_A, values(make_template(), make_audience(audience_type="bookings")))
    assert svc.create_campaign(ORG_A, values(template, make_audience(audience_type="bookings")))
    assert svc.create_campaign(ORG_A, values(make_template(), make_audience(audience_type="community")))


def test_get_and_list_are_scoped(app):
    mine = make_campaign(name="Spring 50% off")
    make_campaign(name="Summer")
    theirs = make_campaign(ORG_B, name="Spring")
    assert svc.get_campaign(ORG_A, mine.id).name == "Spring 50% off"
    with pytest.raises(NotFoundError):
        svc.get_campaign(ORG_A, theirs.id)
    names = db.session.scalars(svc.campaigns_query(ORG_A, search="spring")).all()
    assert [c.name for c in names] == ["Spring 50% off"]
    assert db.session.scalars(svc.campaigns_query(ORG_A, search="_")).all() == []
    assert len(db.session.scalars(svc.campaigns_query(ORG_A, search="50%")).all()) == 1


def test_update_partial(app):
    campaign = make_campaign()
    other = make_template(name="Other")
    updated = svc.update_campaign(ORG_A, campaign.id, {"name": "April", "template": str(other.id)})
    assert updated.name == "April" and updated.template.id == other.id
    updated = svc.update_campaign(ORG_A, campaign.id, {"recurring": True, "cron": "*/15 * * * *"})
    assert updated.recurring and updated.cron == "*/15 * * * *"
    with pytest.raises(InvalidInputError) as info:
        svc.update_campaign(ORG_A, campaign.id, {"cron": None})
    assert pointers(info.value) == {"/data/attributes/cron": "cron_required"}
    assert db.session.get(BroadcastCampaign, campaign.id).cron == "*/15 * * * *"


def test_update_checks_binding_against_current_audience(app):
    campaign = make_campaign()
    with pytest.raises(InvalidInputError):
        svc.update_campaign(ORG_A, campaign.id, {"template": str(make_template(binding_type="booking").id)})


@pytest.mark.parametrize("status", [s for s in CampaignStatus if not s.is_editable])
def test_only_a_draft_can_be_edited_or_deleted(app, status):
    campaign = make_campaign()
    db.session.execute(sa.update(BroadcastCampaign).values(status=status.value))
    db.session.commit()
    with pytest.raises(ConflictError) as info:
        svc.update_campaign(ORG_A, campaign.id, {"name": "x"})
    assert status.value in info.value.detail and "only a draft" in info.value.detail
    with pytest.raises(ConflictError):
        svc.delete_campaign(ORG_A, campaign.id)


def test_delete_draft_removes_its_messages(app):
    campaign = make_campaign()
    make_message(campaign, make_customer(), status="completed")
    with pytest.raises(NotFoundError):
        svc.delete_campaign(ORG_B, campaign.id)
    svc.delete_campaign(ORG_A, campaign.id)
    assert db.session.get(BroadcastCampaign, campaign.id) is None
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastMessage)) == 0
