"""The worker's blocking dequeue never runs on a connection with redis-py's 5 s socket timeout."""

from __future__ import annotations

from flask_broadcasts.extension import get_state
from flask_broadcasts.scheduling.runner import register_recovery
from flask_broadcasts.worker import build_worker


def test_the_worker_dequeues_on_a_client_of_its_own(app) -> None:  # type: ignore[no-untyped-def]
    state = get_state(app)
    with app.app_context():
        register_recovery()  # what --with-scheduler does first: the app's pool now holds a 5 s connection
    worker = build_worker(app, name="connection-test")
    pool = worker.connection.connection_pool
    assert pool is not state.redis.connection_pool
    assert pool.connection_kwargs["socket_timeout"] > worker.dequeue_timeout
    # Every connection this pool makes can wait out a whole BLPOP (the bug: one could not).
    connection = pool.get_connection()
    try:
        assert connection.socket_timeout > worker.dequeue_timeout
    finally:
        pool.release(connection)
    worker.connection.close()
