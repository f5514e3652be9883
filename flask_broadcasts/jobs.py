"""RQ job functions: importable by dotted path, take ids, run inside the app context.

The worker (:class:`~flask_broadcasts.worker.BroadcastsWorker`) pushes the app context; these functions
only forward to services.
"""

from __future__ import annotations

import os
import socket
import time

from .extension import get_state


def worker_id() -> str:
    """The name this process uses in claims and leases (``RQ_WORKER_ID``, else ``host:pid``).

    It must differ between concurrent workers: a claim is recognized as its own by it.
    """
    return os.environ.get("RQ_WORKER_ID") or f"{socket.gethostname()}:{os.getpid()}"


def materialize_run(campaign_id: int, run_key: str) -> int:
    """Job: store the messages of a run, one per recipient of the audience.

    Returns how many were inserted, or ``-1`` when another worker holds the run's lease.
    """
    from .services.materialize import materialize_run as service

    return service(campaign_id, run_key, worker_id())


def send_batch(campaign_id: int, run_key: str) -> int:
    """Send batches of the run until none is left or the job's time budget is spent.

    Looping here (not one job per batch) keeps RQ's per-job cost (a fork) off the
    hot path; each batch is its own claim, so any number of these share a run. A warm
    stop of the worker, like the end of the budget, hands over after the batch in hand.
    """
    from .services.sending import send_batch as service
    from .worker import warm_stop_requested

    settings = get_state().settings
    budget = settings.send_job_budget or settings.job_timeout / 2
    deadline = time.monotonic() + budget
    me = worker_id()
    sent = 0
    while True:
        result = service(campaign_id, run_key, me)
        sent += result.sent + result.failed
        if result.claimed == 0 or result.stopped:
            return sent
        if time.monotonic() >= deadline or warm_stop_requested():
            get_state().dispatcher.send(campaign_id, run_key, tag=f"cont{int(time.time() * 1000)}")
            return sent


def recover() -> dict:
    """Job: one recovery sweep (:func:`flask_broadcasts.services.recovery.recover`).

    Returns the :class:`~flask_broadcasts.services.recovery.RecoveryReport` as a plain
    dict (the job's stored result).
    """
    from .services.recovery import recover as service

    return service().__dict__
