"""What an operator sees from a terminal (``flask broadcasts campaigns ...``): campaigns of
every organization, or of one.

The API scopes every lookup to the request's organization (:mod:`.campaigns`); the CLI
runs with the deployment's own rights, so it finds a campaign by its id alone and learns
the organization from the row, which is what the engine's actions then take.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa

from ..errors import NotFoundError
from ..models import BroadcastCampaign
from ..state import get_state
from ..statuses import CampaignStatus

__all__ = ["all_campaigns", "find_campaign"]


def all_campaigns(
    *, organization_id: str | None = None, status: CampaignStatus | None = None, limit: int | None = None
) -> Sequence[BroadcastCampaign]:
    """Campaigns, newest first, of one organization or of all.

    :param organization_id: only this organization's (``None``: every organization's).
    :param status: only campaigns in this status.
    :param limit: at most this many.
    """
    stmt = sa.select(BroadcastCampaign).order_by(BroadcastCampaign.id.desc())
    if organization_id is not None:
        stmt = stmt.where(BroadcastCampaign.organization_id == str(organization_id))
    if status is not None:
        stmt = stmt.where(BroadcastCampaign.status == status.value)
    if limit is not None:
        stmt = stmt.limit(limit)
    return get_state().session.execute(stmt).scalars().all()


def find_campaign(campaign_id: int, *, organization_id: str | None = None) -> BroadcastCampaign:
    """Campaign ``campaign_id``, read afresh from the database.

    :param organization_id: when given, a campaign of another organization is not found.
    :raises NotFoundError: no such campaign (in that organization).
    """
    session = get_state().session
    # A watcher reads it again and again in one session: end the read transaction (a
    # SQLite reader keeps its snapshot until then) so the workers' commits show.
    session.rollback()
    stmt = sa.select(BroadcastCampaign).where(BroadcastCampaign.id == campaign_id)
    if organization_id is not None:
        stmt = stmt.where(BroadcastCampaign.organization_id == str(organization_id))
    campaign = session.execute(stmt).scalar_one_or_none()
    if campaign is None:
        where = f" in organization {organization_id}" if organization_id is not None else ""
        raise NotFoundError(f"Campaign {campaign_id} does not exist{where}.", code="not_found")
    return campaign
