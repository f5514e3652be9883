"""RQ job functions: importable by dotted path, take ids, run inside the app context.

The worker (:class:`~flask_broadcasts.background.worker.BroadcastsWorker`) pushes the app
context (:func:`~flask_broadcasts.background.context.app_context` pushes one under a plain ``rq worker``); these
functions only forward to the engine.
"""

from __future__ import annotations

import logging
import os
import socket
import time
from datetime import UTC, datetime
from typing import Any

from ..engine import lanes, materialize, recovery, schedule
from ..scheduling.plan import parse_run_key
from ..state import get_state
from ..webhooks import delivery
from .context import app_context, warm_stop_requested
from .queues import other_work_waits

__all__ = [
    "MAX_EARLY_SECONDS",
    "deliver_webhook",
    "fire_campaign",
    "materialize_run",
    "recover",
    "send_batch",
    "worker_id",
]

log = logging.getLogger(__name__)

#: How far ahead of its fire time a fire job may run and still wait for it (clock skew
#: between the scheduler's machine and the worker's).
MAX_EARLY_SECONDS = 5.0


def worker_id() -> str:
    """The name this process uses in claims and leases (``RQ_WORKER_ID``, else ``host:pid``).

    It must differ between concurrent workers: a claim is recognized as its own by it.
    """
    return os.environ.get("RQ_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"


def materialize_run(campaign_id: int, run_key: str) -> int:
    """Job: store the messages of a run, one per recipient of the audience.

    Returns how many were inserted, or ``-1`` when another worker holds the run's lease.
    """
    with app_context():
        return materialize.materialize_run(campaign_id, run_key, worker_id())


def send_batch(campaign_id: int, run_key: str) -> int:
    """Send batches of the run until none is left or the job's time budget is spent.

    Looping here (not one job per batch) keeps RQ's per-job cost (a fork) off the
    hot path; each batch is its own claim, so any number of these share a run. The job
    sends over ``BROADCASTS_MAIL_CONNECTIONS`` connections at once
    (``flask_broadcasts.engine.lanes``). A warm stop of the worker, like the end of
    the budget, hands over after the batches in hand.
    """
    with app_context():
        return _send_until_done(campaign_id, run_key)


def _send_until_done(campaign_id: int, run_key: str) -> int:
    state = get_state()
    settings = state.settings
    budget = settings.send_job_budget or settings.job_timeout / 2
    started = time.monotonic()
    deadline = started + budget
    # Fair share: after its slice, a job whose worker another run's job waits for hands over
    # (its run goes on from the back of the queue). Runs on the same workers and the same
    # rate limit so take turns, and a small campaign started after a big one is not kept
    # waiting for the big one's whole budget (docs/operations.rst).
    slice_ends = None if settings.fair_share_slice is None else started + settings.fair_share_slice

    def go_on() -> bool:
        if time.monotonic() >= deadline or warm_stop_requested():
            return False
        if slice_ends is not None and time.monotonic() >= slice_ends and settings.redis_url:
            return not other_work_waits(state, campaign_id, run_key)
        return True

    outcome = lanes.send_run(campaign_id, run_key, worker_id(), go_on=go_on)
    if outcome.hand_over:
        get_state().dispatcher.send(campaign_id, run_key, tag=f"cont{int(time.time() * 1000)}")
    return outcome.settled


def recover() -> dict[str, Any]:
    """Job: one recovery sweep (:func:`flask_broadcasts.engine.recovery.recover`).

    Returns the :class:`~flask_broadcasts.engine.recovery.RecoveryReport` as a plain
    dict (the job's stored result).
    """
    with app_context():
        report = recovery.recover().__dict__
        report["webhook_deliveries_queued"] = delivery.queue_overdue()
        return report


def deliver_webhook(delivery_id: int) -> str:
    """Job (on ``BROADCASTS_WEBHOOK_QUEUE``): one attempt of a webhook delivery
    (:func:`flask_broadcasts.webhooks.delivery.attempt_delivery`)."""
    with app_context():
        return delivery.attempt_delivery(int(delivery_id))


def fire_campaign(campaign_id: int, fire_time: str) -> bool:
    """The timer of one occurrence went off: claim it and start the run.

    Never starts a run before its fire time: a worker whose clock is a little behind the
    scheduler's waits the difference (up to :data:`MAX_EARLY_SECONDS`); a job that is
    earlier than that (enqueued by hand) does nothing, and the recovery sweep puts the
    occurrence's timer back.

    :param fire_time: the fire time in ISO 8601 UTC (``2026-03-29T01:00:00Z``), which is
        also the run key of a recurring run.
    :return: whether this job started the run (``False`` for a duplicate).
    """
    due = parse_run_key(fire_time)
    early = (due - datetime.now(UTC)).total_seconds()
    if early > MAX_EARLY_SECONDS:
        log.warning("campaign %s: fire job for %s ran %.0f s early; ignored", campaign_id, fire_time, early)
        return False
    if early > 0:
        time.sleep(early)
    with app_context():
        return schedule.fire(int(campaign_id), due)
