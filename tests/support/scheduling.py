"""Fixtures of the scheduling tests (``flask_broadcasts.engine.schedule`` and its recovery):
the app's session, fire timers in memory, a draft campaign maker, and a recording ``launch``
that inserts the run row exactly as the sending engine's ``launch_run`` contract says
(unique per run key). A suite's conftest imports them by name; the ``app`` is the suite's.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.exc import IntegrityError

from flask_broadcasts.engine.timers import MemoryFireTimers
from flask_broadcasts.models import BroadcastAudience, BroadcastCampaign, BroadcastRun, BroadcastTemplate
from flask_broadcasts.state import get_state


@pytest.fixture
def session(app: Flask) -> Any:
    return get_state().session


@pytest.fixture
def timers() -> MemoryFireTimers:
    return MemoryFireTimers()


class RecordingLaunch:
    """Honest double of ``launch_run``: claims the run row (unique), commits, queues nothing."""

    def __init__(self, session: Any) -> None:
        self.session = session
        self.calls: list[tuple[int, str, datetime | None]] = []

    def __call__(self, campaign_id: int, run_key: str, fire_time: datetime | None, *, commit: bool = True) -> bool:
        campaign = self.session.get(BroadcastCampaign, campaign_id)
        self.session.add(
            BroadcastRun(
                organization_id=campaign.organization_id, campaign_id=campaign_id, run_key=run_key, fire_time=fire_time
            )
        )
        try:
            self.session.flush()
        except IntegrityError:
            self.session.rollback()
            return False
        campaign.runs_count += 1
        campaign.sent_count = campaign.failed_count = campaign.total_count = 0
        if commit:
            self.session.commit()
        self.calls.append((campaign_id, run_key, fire_time))
        return True


@pytest.fixture
def launch(session: Any) -> RecordingLaunch:
    return RecordingLaunch(session)


@pytest.fixture
def make_campaign(session: Any) -> Callable[..., BroadcastCampaign]:
    def make(**values: Any) -> BroadcastCampaign:
        template = BroadcastTemplate(organization_id="1", name="t", subject="Hi", body="<p>Hi</p>", channels=["mail"])
        audience = BroadcastAudience(organization_id="1", name="a", audience_type="customers")
        session.add_all([template, audience])
        session.flush()
        campaign = BroadcastCampaign(
            organization_id="1", name="c", template_id=template.id, audience_id=audience.id, **values
        )
        session.add(campaign)
        session.commit()
        return campaign

    return make
