"""Who is alive on this deployment's Redis: workers on the queue, schedulers, the recovery sweep.

Read the way RQ and rq-scheduler themselves keep it (``flask broadcasts doctor``):

* workers — RQ's worker registry of ``BROADCASTS_QUEUE`` (``Worker.all(queue=...)``): a
  worker's key expires when it stops sending heartbeats, so a killed worker drops out;
* RQ's own scheduler (the retried batches) — the per-queue lock one worker holds while
  its scheduler runs (``rq:scheduler-lock:<queue>``);
* rq-scheduler (fire times, the recovery sweep) — its instance keys, which expire
  ``interval + 10`` seconds after the last heartbeat unless a death was recorded, and its
  lock, held only during each poll (so a live scheduler is seldom seen holding it);
* the recovery sweep — its next run in rq-scheduler's schedule, which a polling
  scheduler keeps in the future.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from .queues import get_queue
from .scheduler import recovery_job_id

if TYPE_CHECKING:
    from ..state import BroadcastsState

__all__ = ["SchedulerStatus", "WorkerStatus", "queue_workers", "scheduler_status"]


@dataclass(frozen=True)
class WorkerStatus:
    """One live worker on the queue."""

    name: str
    state: str
    last_heartbeat: datetime | None


@dataclass(frozen=True)
class SchedulerStatus:
    """What Redis says about the schedulers."""

    #: Names of the live rq-scheduler instances (``flask broadcasts scheduler``, ``--with-scheduler``).
    instances: tuple[str, ...]
    #: Whether an rq-scheduler holds its lock right now (during a poll).
    lock_held: bool
    #: The worker whose RQ scheduler holds the queue's lock (moves retried jobs back), or ``None``.
    retry_scheduler: str | None
    #: When the recovery sweep runs next, or ``None`` if it is not registered.
    sweep_next_run: datetime | None

    @property
    def alive(self) -> bool:
        """Some rq-scheduler is running."""
        return bool(self.instances) or self.lock_held


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def queue_workers(state: BroadcastsState) -> list[WorkerStatus]:
    """The live workers of ``BROADCASTS_QUEUE`` (RQ's worker registry)."""
    from rq import Worker

    return [
        WorkerStatus(worker.name, str(worker.get_state()), worker.last_heartbeat)
        for worker in Worker.all(queue=get_queue(state))
    ]


def scheduler_status(state: BroadcastsState) -> SchedulerStatus:
    """The schedulers' keys and locks on the app's Redis."""
    from rq.scheduler import RQScheduler
    from rq_scheduler import Scheduler

    redis = state.redis
    instances = []
    for key in redis.scan_iter(match=f"{Scheduler.redis_scheduler_namespace_prefix}*", count=100):
        if not redis.hexists(key, "death"):
            instances.append(_text(key).removeprefix(Scheduler.redis_scheduler_namespace_prefix))
    holder = redis.get(RQScheduler.get_locking_key(state.settings.queue))
    score = redis.zscore(Scheduler.scheduled_jobs_key, recovery_job_id(state.settings.queue))
    return SchedulerStatus(
        instances=tuple(sorted(instances)),
        lock_held=bool(redis.exists(Scheduler.scheduler_lock_key)),
        retry_scheduler=_text(holder) if holder else None,
        sweep_next_run=datetime.fromtimestamp(score, UTC) if score is not None else None,
    )
