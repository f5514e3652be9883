"""What every job and the worker share: loading the app, its context, the warm-stop flag.

One way to find the app in a worker process (``FLASK_APP``, as the ``flask`` command
does), whether the worker is ours (``-w flask_broadcasts.background.worker.BroadcastsWorker``,
which runs every job in the app's context) or a plain ``rq worker``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
from collections.abc import Iterator

from flask import Flask, current_app, has_app_context

from ..state import get_state

__all__ = ["WARM_STOP_SIGNAL", "app_context", "load_app", "warm_stop_event", "warm_stop_requested"]

#: Sent by the worker to its horse on a warm stop; ignored by default, so a signal that
#: arrives before the horse installed its handler cannot kill it.
WARM_STOP_SIGNAL = signal.SIGWINCH
#: Set in a work horse when its worker was asked to stop (by the worker's signal handler).
warm_stop_event = threading.Event()


def warm_stop_requested() -> bool:
    """Whether this process's worker was asked to stop (checked by jobs between batches)."""
    return warm_stop_event.is_set()


def load_app() -> Flask:
    """The app ``FLASK_APP`` names, loaded as ``flask`` would.

    ``ScriptInfo()`` alone does not read ``FLASK_APP`` (the ``flask`` command passes it
    in from its ``--app`` option / environment), so it is passed here explicitly.
    """
    from flask.cli import ScriptInfo

    return ScriptInfo(app_import_path=os.environ.get("FLASK_APP") or None).load_app()


@contextlib.contextmanager
def app_context() -> Iterator[None]:
    """The current app's context, or the ``FLASK_APP`` app's when the worker pushed none.

    :class:`~flask_broadcasts.background.worker.BroadcastsWorker` already runs every job
    in one; this covers a plain ``rq worker`` without ``-w``.
    """
    if has_app_context():
        yield
        return
    app = load_app()
    with app.app_context():
        try:
            yield
        finally:
            get_state(current_app).db.session.remove()
