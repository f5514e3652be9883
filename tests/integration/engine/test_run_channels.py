"""A lane's channels, kept from batch to batch, send a run's batches over one SMTP connection.

An operator sees the opposite as a new connection, and a new TLS handshake at a provider,
for every claim: the provider's connection rate limits trip long before its message rate.
"""

from __future__ import annotations

from flask_broadcasts.engine.lifecycle import start_campaign
from flask_broadcasts.engine.materialize import materialize_run
from flask_broadcasts.engine.run_channels import RunChannels
from flask_broadcasts.engine.sending import send_batch
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG, make_campaign, seed_customers


def _materialized_run(count: int) -> int:
    seed_customers(count)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    materialize_run(campaign_id, "once", "test-worker")
    return campaign_id


def test_batches_sent_through_one_lanes_channels_share_one_connection_closed_at_the_end(app, smtp):
    campaign_id = _materialized_run(30)
    channels = RunChannels(get_state(), campaign_id, "once")
    try:
        sent = [send_batch(campaign_id, "once", "test-worker", channels=channels, claim_size=10).sent for _ in range(3)]
        assert channels.get("mail") is channels.get("mail")  # opened once, at the first message
        assert sent == [10, 10, 10]
        assert smtp.connections == 1 and smtp.most_per_connection == 30
    finally:
        channels.close()
    assert smtp.quits == 1  # closed with QUIT, not dropped
    assert channels.open == {}


def test_a_batch_given_no_channels_opens_and_closes_its_own(app, smtp):
    campaign_id = _materialized_run(20)
    sent = [send_batch(campaign_id, "once", "test-worker", claim_size=10).sent for _ in range(2)]
    assert sent == [10, 10]
    assert smtp.connections == 2 and smtp.quits == 2
