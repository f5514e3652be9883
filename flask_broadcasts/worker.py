"""The RQ worker class: ``rq worker -w flask_broadcasts.worker.BroadcastsWorker`` with ``FLASK_APP`` set.

It loads the app once (``flask.cli.ScriptInfo().load_app()``, i.e. ``FLASK_APP``) and
runs every job inside an app context. It is RQ's forking :class:`rq.Worker`: each job
runs in a fresh work horse, so a job that crashes, leaks or hits its timeout never takes
the worker with it, and a SIGKILLed horse is exactly the failure the claims are built
for. The horse never reuses the parent's database connections: right after the fork
it calls ``db.engine.dispose(close=False)`` (the pool forgets the inherited sockets
without closing them under the parent) and drops the inherited Redis client. Our jobs
are long batches, so the fork (~10 ms) is negligible next to them.
"""

from __future__ import annotations

import threading
from typing import Any

from flask import Flask
from rq import Worker

from .extension import get_state


def load_app() -> Flask:
    """The app ``FLASK_APP`` names, loaded as ``flask`` would.

    ``ScriptInfo()`` alone does not read ``FLASK_APP`` (the ``flask`` command passes it
    in from its ``--app`` option / environment), so it is passed here explicitly.
    """
    import os

    from flask.cli import ScriptInfo

    return ScriptInfo(app_import_path=os.environ.get("FLASK_APP") or None).load_app()


class BroadcastsWorker(Worker):
    """A forking RQ worker that runs jobs inside the Flask app's context."""

    def __init__(self, *args: Any, app: Flask | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.flask_app = app or load_app()

    def main_work_horse(self, job: Any, queue: Any) -> None:
        """In the forked horse: drop inherited connections, then run the job."""
        # Flask-SQLAlchemy finds the engine through the app context, which plain
        # ``rq worker`` (unlike ``flask broadcasts worker``) does not push.
        with self.flask_app.app_context():
            get_state(self.flask_app).forget_connections()
        super().main_work_horse(job, queue)

    def perform_job(self, job: Any, queue: Any, execution: Any) -> bool:
        """Run the job inside the app context; always remove the session afterwards."""
        with self.flask_app.app_context():
            try:
                return super().perform_job(job, queue, execution)
            finally:
                get_state(self.flask_app).session.remove()


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

    from .queues import get_queue

    state = get_state(app)
    if not state.settings.redis_url:
        raise RuntimeError("Set REDIS_URL or BROADCASTS_REDIS_URL: the worker takes its jobs from Redis.")
    connection = Redis.from_url(state.settings.redis_url)
    return BroadcastsWorker([get_queue(state)], connection=connection, app=app, name=name)


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
