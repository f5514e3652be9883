"""flask_broadcasts.services.operators: the campaigns an operator sees from a terminal. A user
relies on seeing every organization's campaigns (or one's), newest first, filtered by status and
cut to a limit; on finding one by its id alone unless an organization is named; and on a watcher
that asks again seeing what the workers committed since."""

from __future__ import annotations

import pytest
import sqlalchemy as sa

from flask_broadcasts.errors import NotFoundError
from flask_broadcasts.models import BroadcastCampaign
from flask_broadcasts.services.operators import all_campaigns, find_campaign
from flask_broadcasts.state import get_state
from flask_broadcasts.statuses import CampaignStatus
from tests.support.fixtures import make_campaign

OTHER = "org-2"


def _campaign(organization: str = "org-1", status: CampaignStatus = CampaignStatus.DRAFT) -> int:
    campaign_id = make_campaign()
    session = get_state().session
    session.execute(
        sa.update(BroadcastCampaign)
        .where(BroadcastCampaign.id == campaign_id)
        .values(organization_id=organization, status=status.value)
    )
    session.commit()
    return campaign_id


def test_every_organizations_campaigns_newest_first_filtered_and_limited(app):
    a = _campaign()
    b = _campaign(OTHER, CampaignStatus.COMPLETED)
    c = _campaign(status=CampaignStatus.COMPLETED)
    d = _campaign(OTHER)
    assert [x.id for x in all_campaigns()] == [d, c, b, a]
    assert [x.id for x in all_campaigns(organization_id="org-1")] == [c, a]
    assert [x.id for x in all_campaigns(status=CampaignStatus.COMPLETED)] == [c, b]
    assert [x.id for x in all_campaigns(organization_id=OTHER, status=CampaignStatus.DRAFT)] == [d]
    assert [x.id for x in all_campaigns(limit=2)] == [d, c]


def test_a_campaign_is_found_by_its_id_alone_unless_an_organization_is_named(app):
    theirs = _campaign(OTHER)
    found = find_campaign(theirs)
    assert (found.id, found.organization_id) == (theirs, OTHER)  # the organization comes from the row
    assert find_campaign(theirs, organization_id=OTHER).id == theirs
    with pytest.raises(NotFoundError, match=f"Campaign {theirs} does not exist in organization org-1"):
        find_campaign(theirs, organization_id="org-1")
    with pytest.raises(NotFoundError, match="Campaign 999 does not exist."):
        find_campaign(999)


def test_a_watcher_asking_again_sees_what_was_committed_since(app):
    campaign_id = _campaign(status=CampaignStatus.IN_PROGRESS)
    watched = find_campaign(campaign_id)  # held, as a watcher holds it between reads
    assert watched.sent_count == 0
    # A worker's commit, on a connection of its own.
    with get_state().session.get_bind().engine.begin() as worker:
        worker.execute(
            sa.update(BroadcastCampaign.__table__)
            .where(BroadcastCampaign.id == campaign_id)
            .values(status=CampaignStatus.COMPLETED.value, sent_count=5)
        )
    again = find_campaign(campaign_id)
    assert (again.status, again.sent_count) == (CampaignStatus.COMPLETED.value, 5)
    assert (watched.status, watched.sent_count) == (CampaignStatus.COMPLETED.value, 5)
