"""Materializing a run keeps at most one chunk of the host's recipients in memory."""

from __future__ import annotations

import gc

from flask_broadcasts.services import materialize
from flask_broadcasts.services.campaign_runs import start_campaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers


def test_materialization_never_holds_more_than_one_chunk_of_recipients(app, env, monkeypatch):
    from tests.support.hostapp import Customer

    seed_customers(450)  # BROADCASTS_INSERT_CHUNK=100: five chunks
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    alive_at_each_chunk: list[int] = []
    store_chunk = materialize._store_chunk

    def counting_store_chunk(*args, **kwargs):
        gc.collect()
        alive_at_each_chunk.append(sum(1 for obj in gc.get_objects() if isinstance(obj, Customer)))
        return store_chunk(*args, **kwargs)

    monkeypatch.setattr(materialize, "_store_chunk", counting_store_chunk)
    assert materialize.materialize_run(campaign_id, "once", "test-worker") == 450
    assert campaign_row(campaign_id).total_count == 450
    # The chunk being stored has been rendered and dropped; the previous ones are gone.
    assert len(alive_at_each_chunk) == 5
    assert max(alive_at_each_chunk) <= 100, alive_at_each_chunk
