"""flask_broadcasts.engine.event_order: progress events leave a process in commit order.

What a user relies on: while one lane holds :func:`in_commit_order` (from its ``UPDATE ...
RETURNING`` to the publish of that row), no other lane of the process can commit and publish
in between, so a dashboard never sees an older event after a newer one; a counter flush that
completes the run inside it does not deadlock; and the lane's pooled connection is taken
*before* the lock, so the lock holder never waits for the pool.
"""

from __future__ import annotations

import threading

from flask_broadcasts.engine.event_order import commit_then_publish, in_commit_order


def _lock_free_for_another_thread() -> bool:
    taken: list[bool] = []

    def probe() -> None:
        got = commit_then_publish.acquire(blocking=False)
        if got:
            commit_then_publish.release()
        taken.append(got)

    thread = threading.Thread(target=probe)
    thread.start()
    thread.join()
    return taken[0]


def test_another_lane_waits_until_the_holder_has_published():
    order: list[str] = []
    inside = threading.Event()

    def other_lane() -> None:
        inside.wait(5)
        with in_commit_order(None):
            order.append("B commits and publishes")

    lane_b = threading.Thread(target=other_lane)
    lane_b.start()
    with in_commit_order(None):
        order.append("A commits")
        inside.set()
        lane_b.join(0.2)  # B is blocked on the lock meanwhile
        order.append("A publishes")
    lane_b.join(5)

    assert order == ["A commits", "A publishes", "B commits and publishes"]


def test_a_flush_that_completes_the_run_inside_it_takes_the_lock_again():
    with in_commit_order(None):
        # What the completion inside a counter flush does; a timeout, not a hang, if it could not.
        again = commit_then_publish.acquire(timeout=1)
        if again:
            commit_then_publish.release()

    assert again
    assert _lock_free_for_another_thread()  # and every level was released


def test_the_sessions_connection_is_taken_before_the_lock():
    class Session:
        lock_free_when_connecting: bool | None = None

        def connection(self) -> None:
            self.lock_free_when_connecting = _lock_free_for_another_thread()

    session = Session()
    with in_commit_order(session):  # type: ignore[arg-type]
        held = not _lock_free_for_another_thread()

    assert session.lock_free_when_connecting is True
    assert held
