"""flask_broadcasts.engine.throttling: the ``throttled`` reason, and the events of its changes.

The lane whose batch went out after a pause clears the reason; another lane of the same send
job may have just committed its counts (with the reason still set) and be publishing them.
The clearing must be published after that, or subscribers are left with "throttled".
"""

from __future__ import annotations

import threading

from flask_broadcasts.engine.event_order import in_commit_order
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.runs import add_to_counters
from flask_broadcasts.engine.throttling import clear_waiting_reasons, mark_throttled
from flask_broadcasts.events import RecordingPublisher, publish_campaign
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers, store_inline


def _running_campaign(app) -> int:
    seed_customers(3)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_inline(campaign_id)
    return campaign_id


def test_the_reason_is_set_and_cleared_once_each_with_one_event(app, env) -> None:
    campaign_id = _running_campaign(app)
    state = get_state(app)
    state.publisher = publisher = RecordingPublisher()

    assert mark_throttled(state, campaign_id)
    assert not mark_throttled(state, campaign_id)  # the other lanes meeting the same pause
    assert campaign_row(campaign_id).status_reason == "throttled"
    assert clear_waiting_reasons(state, campaign_id)
    assert not clear_waiting_reasons(state, campaign_id)

    assert [event["data"]["attributes"]["status_reason"] for _, event in publisher.events] == ["throttled", None]
    assert campaign_row(campaign_id).status_reason is None


def test_clearing_the_reason_is_published_after_the_counts_another_lane_committed_first(app, env) -> None:
    campaign_id = _running_campaign(app)
    state = get_state(app)
    state.publisher = publisher = RecordingPublisher()
    assert mark_throttled(state, campaign_id)
    committed = threading.Event()

    def other_lane_flushes_slowly() -> None:
        with app.app_context():  # a lane: a session of its own
            session = get_state().session
            with in_commit_order(session):  # as a lane's counter flush holds it
                row = add_to_counters(session, campaign_id, sent=1)
                session.commit()
                committed.set()
                threading.Event().wait(0.5)  # a slow publish
                publish_campaign(publisher, row)

    lane = threading.Thread(target=other_lane_flushes_slowly)
    lane.start()
    try:
        assert committed.wait(10)
        assert clear_waiting_reasons(state, campaign_id)
    finally:
        lane.join(10)

    reasons = [event["data"]["attributes"]["status_reason"] for _, event in publisher.events]
    assert reasons == ["throttled", "throttled", None], reasons  # the last event says what the row says
    assert campaign_row(campaign_id).status_reason is None
