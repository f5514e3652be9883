"""Where fire times wait until they are due: rq-scheduler, behind a small protocol.

The service never imports RQ; it asks a :class:`FireTimers` to add, cancel or look for
the pending occurrence of a campaign. :class:`RQFireTimers` keeps each occurrence as an
rq-scheduler ``enqueue_at`` job whose id names the campaign and the fire time, so adding
it twice is one job, and cancelling needs no lookup.

RQ 3 accepts only ``[A-Za-z0-9_-]`` in a job id, so the ids use dashes
(``broadcasts-fire-42-20260329T010000Z`` on the queue ``broadcasts``), not colons. They
start with the queue's name, as the send jobs' do (:func:`flask_broadcasts.queues.job_id`).
"""

from __future__ import annotations

import math
from datetime import datetime
from typing import TYPE_CHECKING, Protocol

from .plan import as_utc, run_key_for

if TYPE_CHECKING:
    from redis import Redis

__all__ = ["FIRE_JOB", "FireTimers", "MemoryFireTimers", "RQFireTimers", "fire_job_id"]

#: The job every occurrence runs, by dotted path (workers import it by name).
FIRE_JOB = "flask_broadcasts.scheduling.jobs.fire_campaign"
#: Seconds an RQ result of a fire job is kept (it carries nothing worth keeping).
_RESULT_TTL = 600


def fire_job_id(campaign_id: int, fire_time: datetime, *, queue: str) -> str:
    """The rq-scheduler job id of the occurrence of ``campaign_id`` at ``fire_time`` (on ``queue``)."""
    from ..queues import job_id  # here, not above: the service imports this module, and never RQ

    stamp = run_key_for(fire_time).replace("-", "").replace(":", "")
    return job_id("fire", campaign_id, stamp, queue=queue)


class FireTimers(Protocol):
    """Pending occurrences of campaigns (one per campaign and fire time)."""

    def add(self, campaign_id: int, fire_time: datetime) -> None:
        """Make ``fire_campaign(campaign_id, run key of fire_time)`` run at ``fire_time`` (idempotent)."""

    def cancel(self, campaign_id: int, fire_time: datetime) -> None:
        """Forget that occurrence if it is still waiting (no error if it is not)."""

    def __contains__(self, key: tuple[int, datetime]) -> bool:
        """Whether the occurrence ``(campaign_id, fire_time)`` is waiting."""


class RQFireTimers:
    """:class:`FireTimers` on rq-scheduler's sorted set, in the extension's Redis and queue."""

    def __init__(self, connection: Redis, queue_name: str, *, job_timeout: int | None = None) -> None:
        from rq_scheduler import Scheduler

        self.scheduler = Scheduler(queue_name=queue_name, connection=connection)
        self.queue_name = queue_name
        self.job_timeout = job_timeout

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


class MemoryFireTimers:
    """Test double of :class:`FireTimers`: a dict in this process, honestly not a scheduler.

    Nothing ever goes off by itself; tests read :attr:`pending` and call the service.
    """

    def __init__(self) -> None:
        self.pending: dict[int, set[datetime]] = {}

    def add(self, campaign_id: int, fire_time: datetime) -> None:
        """Remember the occurrence in :attr:`pending`."""
        self.pending.setdefault(campaign_id, set()).add(as_utc(fire_time))

    def cancel(self, campaign_id: int, fire_time: datetime) -> None:
        """Forget the occurrence, if it is pending."""
        self.pending.get(campaign_id, set()).discard(as_utc(fire_time))

    def __contains__(self, key: tuple[int, datetime]) -> bool:
        campaign_id, fire_time = key
        return as_utc(fire_time) in self.pending.get(campaign_id, set())
