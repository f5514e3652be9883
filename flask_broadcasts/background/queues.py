"""RQ glue: the queue, job ids derived from campaign and run, cancellation (the recovery schedule: :mod:`flask_broadcasts.background.scheduler`).

The only module (with :mod:`flask_broadcasts.background.jobs` and :mod:`flask_broadcasts.background.worker`)
that imports RQ. Services reach it through the :class:`~flask_broadcasts.engine.dispatch.Dispatcher`
protocol (``get_state().dispatcher``).
"""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from rq import Queue, Retry
from rq.exceptions import InvalidJobOperation, NoSuchJobError
from rq.job import Job, JobStatus

if TYPE_CHECKING:
    from ..state import BroadcastsState

log = logging.getLogger(__name__)

_SLUG = re.compile(r"[^A-Za-z0-9_]+")
_WAITING = {JobStatus.QUEUED, JobStatus.SCHEDULED, JobStatus.DEFERRED}


def run_slug(run_key: str) -> str:
    """``run_key`` with anything but letters, digits and ``_`` replaced (job ids allow no more)."""
    return _SLUG.sub("_", run_key)


def job_id(kind: str, campaign_id: int, run_key: str, tag: str | None = None, *, queue: str) -> str:
    """``broadcasts-send-42-once-m3`` (on the queue ``broadcasts``) — recognizable and cancellable per campaign.

    The queue's name comes first: deployments sharing one Redis on different queues
    (see Operations) number their campaigns from 1 each, and without it one's waiting job
    would pass for the other's, whose run would then never start.
    """
    parts = [run_slug(queue), kind, str(campaign_id), run_slug(run_key)]
    if tag:
        parts.append(tag)
    return "-".join(parts)


def campaign_jobs_key(campaign_id: int, *, queue: str) -> str:
    """The Redis set of a campaign's job ids (what stop cancels), per queue as :func:`job_id`."""
    return f"{queue}:jobs:{campaign_id}"


def get_queue(state: BroadcastsState) -> Queue:
    """The RQ queue ``BROADCASTS_QUEUE`` on the app's Redis."""
    return Queue(state.settings.queue, connection=state.redis, default_timeout=state.settings.job_timeout)


def other_work_waits(state: BroadcastsState, campaign_id: int, run_key: str, *, look: int = 50) -> bool:
    """Whether a job of another run (a send, a materialization, a scheduled start) waits on the queue.

    Only the queue's first ``look`` jobs are read (one ``LRANGE``): a send job that asks this
    after each batch must stay cheap. The recovery sweep does not count: it is short and
    periodic, and a run alone on the queue would otherwise hand over at each sweep.
    """
    queue = state.settings.queue
    own = job_id("send", campaign_id, run_key, queue=queue) + "-"
    sweep = f"{run_slug(queue)}-recover"  # scheduler.recovery_job_id (which imports this module)
    ids = get_queue(state).get_job_ids(0, look)
    return any(not jid.startswith(own) and jid != sweep for jid in ids)


def get_webhook_queue(state: BroadcastsState) -> Queue:
    """The RQ queue ``BROADCASTS_WEBHOOK_QUEUE``: webhook deliveries, apart from the send jobs."""
    return Queue(state.settings.webhook_queue, connection=state.redis, default_timeout=state.settings.job_timeout)


class RQWebhookQueue:
    """Queues webhook delivery attempts on ``BROADCASTS_WEBHOOK_QUEUE`` (a later one with RQ's
    ``enqueue_at``, moved to the queue by the worker's scheduler; the recovery sweep queues
    again any that is overdue)."""

    def __init__(self, state: BroadcastsState) -> None:
        self.state = state

    def deliver(self, delivery_id: int, *, at: datetime | None = None) -> None:
        """Queue an attempt of delivery ``delivery_id`` now, or at ``at``."""
        queue = get_webhook_queue(self.state)
        func = "flask_broadcasts.background.jobs.deliver_webhook"
        options = {
            "result_ttl": 600,
            "failure_ttl": 7 * 24 * 3600,
            "job_timeout": self.state.settings.webhook_timeout * 3 + 30,
        }
        if at is None:
            queue.enqueue(func, delivery_id, **options)
        else:
            queue.enqueue_at(at, func, delivery_id, **options)


class RQDispatcher:
    """Queues the jobs of :mod:`flask_broadcasts.background.jobs` on ``BROADCASTS_QUEUE``."""

    def __init__(self, state: BroadcastsState) -> None:
        self.state = state

    @property
    def queue(self) -> Queue:
        """The queue jobs are enqueued on."""
        return get_queue(self.state)

    def _retry(self) -> Retry:
        s = self.state.settings
        return Retry(max=s.retry_max, interval=list(s.retry_intervals))

    def _enqueue(self, func: str, campaign_id: int, run_key: str, jid: str, at: datetime | None = None) -> Job:
        redis = self.state.redis
        try:
            existing = Job.fetch(jid, connection=redis)
            if self._waits(existing):
                return existing
            if existing.get_status(refresh=False) == JobStatus.SCHEDULED:
                # An overdue retry (see has_waiting_send): the new job takes its id, and no
                # scheduler coming back later runs the old one as well.
                self.queue.scheduled_job_registry.remove(existing)
        except NoSuchJobError:
            pass
        options = {
            "job_id": jid,
            "retry": self._retry(),
            "job_timeout": self.state.settings.job_timeout,
            "result_ttl": 600,
            "failure_ttl": 7 * 24 * 3600,
        }
        if at is None:
            job = self.queue.enqueue(func, campaign_id, run_key, **options)
        else:  # RQ's scheduler (in a worker) queues it when it is due
            job = self.queue.enqueue_at(at, func, campaign_id, run_key, **options)
        key = campaign_jobs_key(campaign_id, queue=self.state.settings.queue)
        redis.sadd(key, jid)
        redis.expire(key, 7 * 24 * 3600)
        return job

    def materialize(self, campaign_id: int, run_key: str) -> None:
        """Queue the materialization of a run (once while one waits)."""
        self._enqueue(
            "flask_broadcasts.background.jobs.materialize_run",
            campaign_id,
            run_key,
            job_id("materialize", campaign_id, run_key, queue=self.state.settings.queue),
        )

    def send(self, campaign_id: int, run_key: str, *, tag: str, at: datetime | None = None) -> None:
        """Queue a send job of a run; ``tag`` makes its job id unique; ``at``: not before then."""
        self._enqueue(
            "flask_broadcasts.background.jobs.send_batch",
            campaign_id,
            run_key,
            job_id("send", campaign_id, run_key, tag, queue=self.state.settings.queue),
            at,
        )

    def cancel(self, campaign_id: int) -> int:
        """Cancel the campaign's waiting jobs; return how many."""
        redis = self.state.redis
        key = campaign_jobs_key(campaign_id, queue=self.state.settings.queue)
        cancelled = 0
        ids = [i.decode() if isinstance(i, bytes) else i for i in redis.smembers(key)]
        for job in Job.fetch_many(ids, connection=redis):
            if job is None:
                continue
            if job.get_status(refresh=False) in _WAITING:
                try:
                    job.cancel()
                    cancelled += 1
                except InvalidJobOperation:
                    pass
                except ValueError:
                    # A worker took the job after it was read as waiting, and finished it
                    # while RQ's cancel read its executions (RQ 3.0 lists them, then fetches
                    # each: "Execution ... not found in Redis"). It is no longer waiting,
                    # which is all a cancel is for: the run's status already tells a job
                    # that starts or claims again not to send.
                    log.info("job %s started while it was being cancelled", job.id)
        redis.srem(key, *ids) if ids else None
        return cancelled

    def has_waiting_send(self, campaign_id: int, run_key: str) -> bool:
        """Whether a send job of the run is queued, deferred, or scheduled and not overdue.

        A retry is scheduled (RQ ``Retry``) and only RQ's scheduler, running in one
        worker, puts it back on the queue. One overdue by more than
        ``BROADCASTS_RECOVERY_INTERVAL`` shows no scheduler is doing that (none runs, or
        it hangs), so it is not waited for: the recovery sweep then queues a fresh send
        job, and the run does not stall behind it. Were it moved later after all, the two
        jobs share the run through claims, which sends nothing twice.
        """
        redis = self.state.redis
        queue = self.state.settings.queue
        prefix = job_id("send", campaign_id, run_key, queue=queue) + "-"
        ids = [
            i.decode() if isinstance(i, bytes) else i
            for i in redis.smembers(campaign_jobs_key(campaign_id, queue=queue))
        ]
        ids = [i for i in ids if i.startswith(prefix)]
        return any(job is not None and self._waits(job) for job in Job.fetch_many(ids, connection=redis))

    def _waits(self, job: Job) -> bool:
        """Whether ``job`` is queued, deferred, or scheduled and not overdue (see :meth:`has_waiting_send`)."""
        status = job.get_status(refresh=False)
        if status != JobStatus.SCHEDULED:
            return status in _WAITING
        try:
            due = self.queue.scheduled_job_registry.get_scheduled_time(job)
            late: float | None = (datetime.now(UTC) - due).total_seconds()
        except NoSuchJobError:
            late = None
        if late is not None and late <= self.state.settings.recovery_interval:
            return True
        log.warning(
            "job %s is %s and no scheduler has queued it; not waiting for it",
            job.id,
            "missing from the scheduled registry" if late is None else f"{late:.0f} s overdue",
        )
        return False
