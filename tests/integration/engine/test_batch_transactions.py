"""A lane's batch being sent leaves no transaction open on the worker's session (PostgreSQL).

An operator notices the opposite as sessions "idle in transaction" for as long as a batch
takes, and as claims that slow down: the open snapshot keeps every message row a claim
or a record replaced from counting as dead, so each claim's index scan visits them all.
"""

from __future__ import annotations

import pytest

from flask_broadcasts import signals
from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.run_channels import RunChannels
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign, seed_customers, set_config


@pytest.mark.postgres_only
def test_no_transaction_is_open_on_the_workers_session_while_a_lanes_batch_is_sent(app, env, smtp, is_postgres):
    if not is_postgres:
        pytest.skip("on SQLite outcomes are recorded in the session's own transactions")
    # Counters flushed only at a batch's end: each flush commits, which would end an open
    # transaction early and hide it.
    set_config(env, app, BROADCASTS_COUNTER_FLUSH=100, BROADCASTS_EVENT_EVERY=100, BROADCASTS_PROGRESS_INTERVAL=60)
    seed_customers(30)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    state = get_state()
    session = state.session()  # the session the engine sends with (scoped: this thread's)
    open_while_sending: list[bool] = []

    def note(sender, **data):  # called in the sending thread after each message's record
        open_while_sending.append(session.in_transaction())

    # A lane's channels, kept from batch to batch as a send job keeps them (engine.lanes):
    # only the first batch opens its connection, which reads the campaign's files.
    channels = RunChannels(state, campaign_id, "once")
    signals.message_sent.connect(note)
    try:
        sent = [send_batch(campaign_id, "once", "test-worker", channels=channels, claim_size=10).sent for _ in range(3)]
    finally:
        signals.message_sent.disconnect(note)
        channels.close()

    assert sent == [10, 10, 10] and len(open_while_sending) == 30
    assert not any(open_while_sending)
