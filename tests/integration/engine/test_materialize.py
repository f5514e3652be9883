"""flask_broadcasts.engine.materialize: the event a run's storing ends with is not overtaken.

Sending starts while a run is still being stored, often in another worker. That worker's
change to the campaign (``throttled``, its counts) comes after the end of the storing and
must reach subscribers after it, or they keep the older row: a throttled campaign shown
as not throttled.
"""

from __future__ import annotations

import threading
from typing import Any

from rq import Queue

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.throttling import mark_throttled
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers

RECIPIENTS = 3


class _OtherWorkerChangesTheRowMeanwhile:
    """A publisher whose publish of the storing's last event is slow (a busy worker).

    Meanwhile another worker's send job marks the campaign ``throttled``, which it may do
    once the row is free, and publishes that. Either it waits for the storing's commit (the
    storing still holds the row) or it publishes first.
    """

    def __init__(self, app: Any, campaign_id: int) -> None:
        self.app, self.campaign_id = app, campaign_id
        self.events: list[dict[str, Any]] = []
        self.other: threading.Thread | None = None

    def publish(self, organization_id: str, event: dict[str, Any]) -> None:
        attributes = event["data"]["attributes"]
        if self.other is None and attributes.get("total_count") == RECIPIENTS:
            self.other = threading.Thread(target=self._mark_throttled)
            self.other.start()
            self.other.join(timeout=1.0)  # long enough for it to commit and publish, if it can
        self.events.append(event)

    def _mark_throttled(self) -> None:
        with self.app.app_context():  # a session of its own, as another worker has
            state = get_state()
            state.publisher = self
            assert mark_throttled(state, self.campaign_id)


def test_the_event_that_ends_the_storing_reaches_subscribers_before_the_next_change(app, env) -> None:
    seed_customers(RECIPIENTS)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    state = get_state(app)
    Queue(state.settings.queue, connection=state.redis).empty()  # no worker here: materialize inline
    publisher = _OtherWorkerChangesTheRowMeanwhile(app, campaign_id)
    state.publisher = publisher

    assert materialize_run(campaign_id, "once", "test-worker") == RECIPIENTS
    assert publisher.other is not None, "the storing published no event with its total"
    publisher.other.join(timeout=10)

    assert campaign_row(campaign_id).status_reason == "throttled"
    reasons = [event["data"]["attributes"].get("status_reason") for event in publisher.events]
    assert reasons[-2:] == [None, "throttled"], reasons  # the last event says what the row says
