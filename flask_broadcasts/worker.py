"""The RQ worker class: ``rq worker -w flask_broadcasts.worker.BroadcastsWorker`` with ``FLASK_APP`` set.

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
"""

from __future__ import annotations

import os
import signal
import threading
from typing import Any

from flask import Flask
from rq import Worker

from .extension import get_state


def load_app() -> Flask:
    """The app ``FLASK_APP`` names, loaded as ``flask`` would."""
    from flask.cli import ScriptInfo

    return ScriptInfo().load_app()


#: Sent by the worker to its horse on a warm stop; ignored by default, so a signal that
#: arrives before the horse installed its handler cannot kill it.
WARM_STOP_SIGNAL = signal.SIGWINCH
_warm_stop = threading.Event()


def warm_stop_requested() -> bool:
    """Whether this process's worker was asked to stop (checked by jobs between batches)."""
    return _warm_stop.is_set()


class BroadcastsWorker(Worker):
    """A forking RQ worker that runs jobs inside the Flask app's context."""

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app or load_app()

    def main_work_horse(self, job: Any, queue: Any) -> None:
        """In the forked horse: drop inherited connections, then run the job."""
        get_state(self.flask_app).forget_connections()
        super().main_work_horse(job, queue)

    def setup_work_horse_signals(self) -> None:
        super().setup_work_horse_signals()
        _warm_stop.clear()
        signal.signal(WARM_STOP_SIGNAL, lambda signum, frame: _warm_stop.set())

    def handle_warm_shutdown_request(self) -> None:
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
                get_state(self.flask_app).session.remove()


def start_periodic_scheduler(app: Flask) -> threading.Thread:
    """Run rq-scheduler (the recovery sweep and other periodic jobs) in a daemon thread."""
    from rq_scheduler import Scheduler

    from .queues import get_queue, register_recovery

    state = get_state(app)

    class ThreadScheduler(Scheduler):  # signal handlers only work in the main thread
        def _install_signal_handlers(self) -> None:
            pass

    register_recovery(state)
    scheduler = ThreadScheduler(queue=get_queue(state), connection=state.redis,
                                interval=state.settings.scheduler_interval)
    thread = threading.Thread(target=scheduler.run, name="broadcasts-scheduler", daemon=True)
    thread.start()
    return thread
