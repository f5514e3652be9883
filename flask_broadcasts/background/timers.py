"""Where fire times wait until they are due: rq-scheduler, behind a small protocol.

The service never imports RQ; it asks a :class:`FireTimers` to add, cancel or look for
the pending occurrence of a campaign. :class:`RQFireTimers` keeps each occurrence as an
rq-scheduler ``enqueue_at`` job whose id names the campaign and the fire time, so adding
it twice is one job, and cancelling needs no lookup.

RQ 3 accepts only ``[A-Za-z0-9_-]`` in a job id, so the ids use dashes
(``broadcasts-fire-42-20260329T010000Z`` on the queue ``broadcasts``), not colons. They
start with the queue's name, as the send jobs' do (:func:`flask_broadcasts.background.queues.job_id`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING

from ..scheduling.plan import as_utc, run_key_for

if TYPE_CHECKING:
    from rq_scheduler import Scheduler

    from ..state import BroadcastsState

__all__ = ["FIRE_JOB", "RQFireTimers", "fire_job_id"]

#: The job every occurrence runs, by dotted path (workers import it by name).
FIRE_JOB = "flask_broadcasts.background.jobs.fire_campaign"
#: Seconds an RQ result of a fire job is kept (it carries nothing worth keeping).
_RESULT_TTL = 600


def fire_job_id(campaign_id: int, fire_time: datetime, *, queue: str) -> str:
    """The rq-scheduler job id of the occurrence of ``campaign_id`` at ``fire_time`` (on ``queue``)."""
    from .queues import job_id

    stamp = run_key_for(fire_time).replace("-", "").replace(":", "")
    return job_id("fire", campaign_id, stamp, queue=queue)


class RQFireTimers:
    """:class:`~flask_broadcasts.engine.timers.FireTimers` on rq-scheduler's sorted set, in the
    extension's Redis and queue (both read from the state at each call: after a fork, or a
    change of ``BROADCASTS_QUEUE``, the next call uses the new ones)."""

    def __init__(self, state: BroadcastsState, *, job_timeout: int | None = None) -> None:
        self.state = state
        self.job_timeout = job_timeout

    @property
    def queue_name(self) -> str:
        """The queue the fire jobs go to (``BROADCASTS_QUEUE``)."""
        return self.state.settings.queue

    @property
    def scheduler(self) -> Scheduler:
        """rq-scheduler on the state's Redis and queue."""
        from rq_scheduler import Scheduler

        return Scheduler(queue_name=self.queue_name, connection=self.state.redis)

    def add(self, campaign_id: int, fire_time: datetime) -> None:
        """Schedule the fire job of one occurrence in rq-scheduler, rounded up to the next whole second."""
        # rq-scheduler scores jobs in whole Unix seconds, truncating: round up so an
        # occurrence is never handed to a worker before its fire time.
        due = as_utc(fire_time)
        due = datetime.fromtimestamp(math.ceil(due.timestamp()), due.tzinfo)
        self.scheduler.enqueue_at(
            due,
            FIRE_JOB,
            campaign_id,
            run_key_for(fire_time),
            job_id=fire_job_id(campaign_id, fire_time, queue=self.queue_name),
            queue_name=self.queue_name,
            timeout=self.job_timeout,
            job_result_ttl=_RESULT_TTL,
            job_description=f"broadcast campaign {campaign_id} fires at {run_key_for(fire_time)}",
        )

    def cancel(self, campaign_id: int, fire_time: datetime) -> None:
        """Remove the fire job of one occurrence from rq-scheduler, if it is there."""
        self.scheduler.cancel(fire_job_id(campaign_id, fire_time, queue=self.queue_name))

    def __contains__(self, key: tuple[int, datetime]) -> bool:
        campaign_id, fire_time = key
        return fire_job_id(campaign_id, fire_time, queue=self.queue_name) in self.scheduler
