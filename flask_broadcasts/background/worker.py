"""The RQ worker class: ``rq worker -w flask_broadcasts.background.worker.BroadcastsWorker`` with ``FLASK_APP`` set.

It loads the app once (``flask.cli.ScriptInfo().load_app()``, i.e. ``FLASK_APP``) and
runs every job inside an app context. It is RQ's forking :class:`rq.Worker`: each job
runs in a fresh work horse, so a job that crashes, leaks or hits its timeout never takes
the worker with it, and a SIGKILLed horse is exactly the failure the claims are built
for. The horse never reuses the parent's database connections: right after the fork
it calls ``db.engine.dispose(close=False)`` (the pool forgets the inherited sockets
without closing them under the parent) and drops the inherited Redis client. Our jobs
are long batches, so the fork (~10 ms) is negligible next to them.

A warm stop (SIGTERM/SIGINT to the worker) reaches the horse as ``WARM_STOP_SIGNAL``: a
send job then ends after the batch in hand and queues its continuation, so the worker
stops within one batch instead of after the job's whole time budget.

RQ's work loop quits on the first Redis error outside a dequeue (a heartbeat during a
job, the maintenance tasks); a worker that outlives a Redis restart is part of the
recovery promise, so :meth:`BroadcastsWorker.work` starts the loop again once Redis
answers.
"""

from __future__ import annotations

import gc
import logging
import os
import signal
import threading
import time
from typing import Any

from flask import Flask
from rq import Worker

from ..state import get_state
from . import jobs as _jobs  # noqa: F401 - see BroadcastsWorker
from .context import WARM_STOP_SIGNAL, load_app, warm_stop_event, warm_stop_requested

__all__ = [
    "WARM_STOP_SIGNAL",
    "BroadcastsWorker",
    "build_worker",
    "load_app",
    "start_periodic_scheduler",
    "warm_stop_requested",
]

log = logging.getLogger(__name__)


class BroadcastsWorker(Worker):
    """A forking RQ worker that runs jobs inside the Flask app's context.

    Its module imports the job functions (and the engine they call), so that every work
    horse inherits them: RQ imports a job's function in the horse, and a parent that had
    not would have each job import and compile them again (50-90 ms before its first message).
    """

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app or load_app()

    def main_work_horse(self, job: Any, queue: Any) -> None:
        """In the forked horse: drop inherited connections, then run the job."""
        # Everything inherited from the worker (the app, its models, SQLAlchemy's caches:
        # hundreds of thousands of objects) lives as long as the horse does: left out of
        # the garbage collector's passes, a full pass looks only at what the job made.
        gc.freeze()
        # Flask-SQLAlchemy finds the engine through the app context, which plain
        # ``rq worker`` (unlike ``flask broadcasts worker``) does not push.
        with self.flask_app.app_context():
            get_state(self.flask_app).forget_connections()
        super().main_work_horse(job, queue)

    #: Longest pause, in seconds, between two attempts to reach a lost Redis.
    reconnect_max_delay = 30.0

    def work(self, burst: bool = False, *args: Any, **kwargs: Any) -> bool:
        """RQ's work loop, started again after Redis errors until a stop is requested.

        A non-burst loop without ``max_jobs``/``max_idle_time`` only ends on purpose after
        SIGTERM/SIGINT; any other end is RQ giving up on an error, i.e. on Redis.
        """
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        worked = False
        while True:
            try:
                worked = super().work(burst, *args, **kwargs) or worked
            except (RedisConnectionError, RedisTimeoutError) as exc:  # from RQ's teardown
                self.log.warning("Worker %s: lost Redis (%s)", self.name, exc)
            if (
                burst
                or self._shutdown_requested_date is not None
                or kwargs.get("max_jobs") is not None
                or kwargs.get("max_idle_time") is not None
            ):
                return worked
            self._wait_for_redis()

    def _wait_for_redis(self) -> None:
        from redis.exceptions import RedisError

        delay = 1.0
        while self._shutdown_requested_date is None:
            try:
                self.connection.ping()
                self.register_death()  # so that the same name can register its birth again
                self.log.warning("Worker %s: Redis answers again; starting the work loop again", self.name)
                return
            except RedisError:
                time.sleep(delay)
                delay = min(delay * 2, self.reconnect_max_delay)

    def setup_work_horse_signals(self) -> None:
        """RQ's horse signal setup, plus a handler that turns ``WARM_STOP_SIGNAL`` into a warm stop.

        RQ only lets a horse finish its whole job; this lets a send job notice the stop
        (:func:`~flask_broadcasts.background.context.warm_stop_requested`) and hand over after its current batch.
        """
        super().setup_work_horse_signals()
        warm_stop_event.clear()
        signal.signal(WARM_STOP_SIGNAL, lambda signum, frame: warm_stop_event.set())

    def handle_warm_shutdown_request(self) -> None:
        """RQ's warm stop, plus ``WARM_STOP_SIGNAL`` to the busy horse, if any.

        RQ would wait for the job to end; the signal makes a send job stop within one
        batch instead of after its whole time budget.
        """
        super().handle_warm_shutdown_request()
        if self.horse_pid:
            try:
                os.kill(self.horse_pid, WARM_STOP_SIGNAL)
            except ProcessLookupError:
                pass

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        """Run the job inside the app context; always remove the session afterwards."""
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                get_state(self.flask_app).db.session.remove()


def build_worker(app: Flask, *, name: str | None = None) -> BroadcastsWorker:
    """The worker of ``flask broadcasts worker``, on a Redis client of its own.

    RQ raises the socket timeout of its connection pool above its blocking dequeue
    (``BLPOP`` for ``worker_ttl - 15`` seconds), but only connections made afterwards get
    it. redis-py 8 defaults to 5 s, so a pooled connection the app had already opened
    (the periodic scheduler of ``--with-scheduler`` registers its jobs first) would
    time out every dequeue after 5 s, and the worker would log "could not connect to
    Redis" and back off for seconds before picking up a job. A fresh client has no such
    connection.
    """
    from redis import Redis

    from .queues import get_queue, get_webhook_queue

    state = get_state(app)
    if not state.settings.redis_url:
        raise RuntimeError("Set REDIS_URL or BROADCASTS_REDIS_URL: the worker takes its jobs from Redis.")
    connection = Redis.from_url(state.settings.redis_url)
    # Sending first: RQ takes from the first queue that has a job, so deliveries never hold it up.
    queues = [get_queue(state), get_webhook_queue(state)]
    return BroadcastsWorker(queues, connection=connection, app=app, name=name)


def start_periodic_scheduler(app: Flask, *, first_poll_timeout: float = 10.0) -> threading.Thread:
    """Run the scheduler (``flask_broadcasts.background.scheduler.run_scheduler``: the recovery
    sweep kept registered, Redis outages survived) in a daemon thread of this process.

    Returns once the thread has made its first poll (or after ``first_poll_timeout``
    seconds, when Redis is not there yet). The worker forks right after — RQ's scheduler
    process, then a work-horse per job — and a fork copies the locks other threads hold:
    a child forked while this thread was inside its first imports (``datetime.strptime``
    imports ``_strptime`` on first use) waited forever for an import lock nobody would
    release, and RQ's scheduler, hung that way, never moved a retried job back to the
    queue. After its first poll the thread runs only code it has already imported.
    """
    from .scheduler import run_scheduler

    polled = threading.Event()

    def run() -> None:
        with app.app_context():
            run_scheduler(in_thread=True, polled=polled)

    thread = threading.Thread(target=run, name="broadcasts-scheduler", daemon=True)
    thread.start()
    if not polled.wait(first_poll_timeout):
        log.warning(
            "the scheduler thread has not polled Redis after %.0f s; starting the worker anyway", first_poll_timeout
        )
    return thread
