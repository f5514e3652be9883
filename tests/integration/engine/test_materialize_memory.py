"""Materializing a run keeps at most one chunk of the host's recipients in memory."""

from __future__ import annotations

import gc
import weakref

import psutil
import pytest
import sqlalchemy as sa

from flask_broadcasts.engine import materialize
from flask_broadcasts.engine.lifecycle import start_campaign
from tests.support.fixtures import ORG, campaign_row, make_campaign, seed_customers


def test_materialization_never_holds_more_than_one_chunk_of_recipients(app, env, monkeypatch):
    from tests.support.hostapp import Customer

    seed_customers(450)  # BROADCASTS_INSERT_CHUNK=100: five chunks
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    # Every Customer the ORM makes (loaded or constructed), held weakly: what is still alive
    # after a collection is what something holds. (Scanning gc.get_objects() instead cost
    # seconds a chunk in a test process that had loaded the whole suite.)
    made: weakref.WeakSet[Customer] = weakref.WeakSet()
    tracked: list[int] = []

    def track(instance, *args):  # noqa: ANN001, ANN002, ANN202
        made.add(instance)
        tracked.append(id(instance))

    alive_at_each_chunk: list[int] = []
    store_chunk = materialize._store_chunk

    def counting_store_chunk(*args, **kwargs):
        gc.collect()
        alive_at_each_chunk.append(len(made))
        return store_chunk(*args, **kwargs)

    monkeypatch.setattr(materialize, "_store_chunk", counting_store_chunk)
    for event in ("load", "init"):
        sa.event.listen(Customer, event, track)
    # What existed before is no recipient of this run: frozen, each collection walks only the
    # objects made since (a full one over the suite's heap costs seconds on a loaded machine).
    gc.freeze()
    try:
        assert materialize.materialize_run(campaign_id, "once", "test-worker") == 450
    finally:
        gc.unfreeze()
        for event in ("load", "init"):
            sa.event.remove(Customer, event, track)
    assert campaign_row(campaign_id).total_count == 450
    assert len(tracked) >= 450  # every recipient was seen made
    # The chunk being stored has been rendered and dropped; the previous ones are gone.
    assert len(alive_at_each_chunk) == 5
    assert max(alive_at_each_chunk) <= 100, alive_at_each_chunk


def test_materialization_holds_no_database_snapshot_across_chunks(app, env, monkeypatch, is_postgres):
    """A snapshot held for the whole materialization (a server-side cursor did that) keeps
    PostgreSQL from cleaning up any superseded row version in the meantime: claims slowed
    down over every message already sent. By the third chunk, no connection of the
    database may still hold a snapshot from before the first one was stored."""
    if not is_postgres:
        pytest.skip("snapshots and cleanup horizons are PostgreSQL's")
    from tests.support.hostapp import db

    seed_customers(450)
    campaign_id = make_campaign()
    start_campaign(ORG, campaign_id)
    store_chunk = materialize._store_chunk
    chunks_stored: list[int] = []
    first_chunk_xid: list[int] = []
    held_over: list[int] = []

    def watching_store_chunk(*args, **kwargs):
        chunks_stored.append(1)
        with db.engine.connect() as observer:
            if len(chunks_stored) == 1:
                first_chunk_xid.append(observer.execute(sa.text("SELECT txid_current() % 4294967296")).scalar())
                observer.commit()
            elif len(chunks_stored) == 3:
                held_over.append(
                    observer.execute(
                        sa.text(
                            # This process's connections only: an autovacuum worker holds a
                            # snapshot of its own, and so may a process an earlier test left
                            # running on this database (each CI check once saw three).
                            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                            "AND backend_type = 'client backend' AND client_port = ANY(:ports) "
                            "AND backend_xmin IS NOT NULL AND backend_xmin::text::bigint <= :first"
                        ),
                        {"first": first_chunk_xid[0], "ports": _own_database_ports(observer)},
                    ).scalar()
                )
        return store_chunk(*args, **kwargs)

    monkeypatch.setattr(materialize, "_store_chunk", watching_store_chunk)
    assert materialize.materialize_run(campaign_id, "once", "test-worker") == 450
    # Snapshots whose oldest visible transaction is not after the one taken at the first chunk.
    assert held_over == [0]


def _own_database_ports(connection: sa.Connection) -> list[int]:
    """The local ports of this process's TCP connections to the database server of ``connection``."""
    server_port = connection.engine.url.port or 5432
    return [
        c.laddr.port for c in psutil.Process().net_connections(kind="tcp") if c.raddr and c.raddr.port == server_port
    ]
