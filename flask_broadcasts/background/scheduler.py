"""Run rq-scheduler with the extension's settings, and keep the recovery sweep registered.

``flask broadcasts scheduler`` forwards here. Plain ``rqscheduler --url <redis> -i 5``
works as well: every job carries its queue name, so any scheduler on the same Redis
moves it to the right queue; only the sweep's registration (:func:`register_recovery`,
also ``flask broadcasts scheduler --register-only``) must then be done once by hand.
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import UTC, datetime
from typing import TYPE_CHECKING

from ..state import get_state
from .queues import run_slug

if TYPE_CHECKING:
    from rq_scheduler import Scheduler

__all__ = ["RECOVERY_JOB", "make_scheduler", "recovery_job_id", "register_recovery", "run_scheduler"]

log = logging.getLogger(__name__)

#: The sweep's job, by dotted path: the sending engine's sweep, which also runs
#: :func:`flask_broadcasts.engine.schedule.recover_schedules`.
RECOVERY_JOB = "flask_broadcasts.background.jobs.recover"


def recovery_job_id(queue: str) -> str:
    """The fixed id of a deployment's periodic recovery sweep: ``broadcasts-recover`` on the
    queue ``broadcasts``. Per queue, so deployments sharing a Redis each keep their own sweep
    instead of overwriting each other's (RQ 3 job ids allow no ``:``)."""
    return f"{run_slug(queue)}-recover"


#: Longest pause, in seconds, between two attempts of a scheduler that lost Redis.
RECONNECT_MAX_DELAY = 30.0


def _scheduler_class(*, in_thread: bool = False, polled: threading.Event | None = None) -> type[Scheduler]:
    from rq_scheduler import Scheduler

    class BroadcastsScheduler(Scheduler):
        """rq-scheduler that re-registers the sweep when Redis lost it (checked at each poll)."""

        _sweep_checked = False

        def _install_signal_handlers(self) -> None:
            if not in_thread:  # signal handlers can only be installed by the main thread
                super()._install_signal_handlers()

        def enqueue_jobs(self):  # type: ignore[no-untyped-def]
            try:
                if register_recovery(self):
                    sweep = recovery_job_id(self.queue_name)
                    if self._sweep_checked:
                        log.warning("re-registered the missing recovery sweep %s", sweep)
                    else:
                        log.info("registered the recovery sweep %s", sweep)
                self._sweep_checked = True
            except Exception:  # never let the check stop the scheduler
                log.exception("could not check the recovery sweep registration")
            jobs = super().enqueue_jobs()
            if polled is not None:
                polled.set()
            return jobs

    return BroadcastsScheduler


def make_scheduler(
    *, interval: float | None = None, in_thread: bool = False, polled: threading.Event | None = None
) -> Scheduler:
    """An rq-scheduler on the extension's Redis and queue, polling every ``BROADCASTS_SCHEDULER_INTERVAL`` s.

    At each poll it also checks (one ``ZSCORE``, one ``HGETALL``) that the recovery sweep
    is registered, so a Redis that lost its data gets the sweep back — and through it
    every campaign's timer — without restarting the scheduler. ``polled`` is set after
    each poll.
    """
    state = get_state()
    return _scheduler_class(in_thread=in_thread, polled=polled)(
        queue_name=state.settings.queue,
        connection=state.redis,
        interval=float(interval if interval is not None else state.settings.scheduler_interval),
    )


def register_recovery(scheduler: Scheduler | None = None) -> bool:
    """Register the recovery sweep under :func:`recovery_job_id`, every ``BROADCASTS_RECOVERY_INTERVAL`` s.

    Idempotent: an existing registration with the same job and interval is left alone
    (its next run is not pushed back); otherwise it is (re)written under the same id,
    so there is never a second sweep.

    :return: whether it (re)registered.
    """
    from rq.exceptions import NoSuchJobError

    state = get_state()
    scheduler = scheduler or make_scheduler()
    interval = int(state.settings.recovery_interval)
    sweep = recovery_job_id(state.settings.queue)
    if sweep in scheduler:
        try:
            job = scheduler.job_class.fetch(sweep, connection=scheduler.connection)
        except NoSuchJobError:
            job = None
        if (
            job is not None
            and job.func_name == RECOVERY_JOB
            and job.meta.get("interval") == interval
            and job.origin == state.settings.queue
        ):
            return False
    scheduler.schedule(
        scheduled_time=datetime.now(UTC),
        func=RECOVERY_JOB,
        interval=interval,
        id=sweep,
        queue_name=state.settings.queue,
        result_ttl=interval * 2,
        description="flask-broadcasts recovery sweep",
    )
    return True


def run_scheduler(
    *,
    burst: bool = False,
    interval: float | None = None,
    in_thread: bool = False,
    polled: threading.Event | None = None,
) -> None:
    """Run the scheduler loop, the sweep registered (until SIGTERM/SIGINT, or once with ``burst``).

    Redis going away does not end it: rq-scheduler's loop raises on a lost connection, so
    the loop is started again with a backoff (1 s doubling to :data:`RECONNECT_MAX_DELAY`)
    until Redis answers; a Redis that came back empty then gets the sweep back at the
    first poll, and through the sweep every campaign's timer. ``polled`` is set after
    each poll.
    """
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    delay = 1.0
    while True:
        started = time.monotonic()
        try:
            make_scheduler(interval=interval, in_thread=in_thread, polled=polled).run(burst=burst)
            return
        except (RedisConnectionError, RedisTimeoutError) as exc:
            if burst:
                raise
            if time.monotonic() - started > 2 * RECONNECT_MAX_DELAY:
                delay = 1.0
            log.warning("the scheduler lost Redis (%s); starting again in %.0f s", exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX_DELAY)
