"""RQ jobs of the scheduler, importable by dotted path. They translate and call the service."""

from __future__ import annotations

import contextlib
import logging
import time
from collections.abc import Iterator
from datetime import datetime, timezone

from flask import current_app, has_app_context

from .plan import parse_run_key

__all__ = ["MAX_EARLY_SECONDS", "fire_campaign"]

log = logging.getLogger(__name__)

#: How far ahead of its fire time a fire job may run and still wait for it (clock skew
#: between the scheduler's machine and the worker's).
MAX_EARLY_SECONDS = 5.0


@contextlib.contextmanager
def app_context() -> Iterator[None]:
    """The current app's context, or the ``FLASK_APP`` app's when the worker has none.

    :class:`flask_broadcasts.worker.BroadcastsWorker` already runs every job in one;
    this covers a plain ``rq worker`` without ``-w``.
    """
    if has_app_context():
        yield
        return
    from flask.cli import ScriptInfo

    app = ScriptInfo().load_app()
    with app.app_context():
        try:
            yield
        finally:
            from ..extension import get_state

            get_state(current_app).session.remove()


def fire_campaign(campaign_id: int, fire_time: str) -> bool:
    """The timer of one occurrence went off: claim it and start the run.

    Never starts a run before its fire time: a worker whose clock is a little behind the
    scheduler's waits the difference (up to :data:`MAX_EARLY_SECONDS`); a job that is
    earlier than that (enqueued by hand) does nothing, and the recovery sweep puts the
    occurrence's timer back.

    :param fire_time: the fire time in ISO 8601 UTC (``2026-03-29T01:00:00Z``), which is
        also the run key of a recurring run.
    :return: whether this job started the run (``False`` for a duplicate).
    """
    from . import service

    due = parse_run_key(fire_time)
    early = (due - datetime.now(timezone.utc)).total_seconds()
    if early > MAX_EARLY_SECONDS:
        log.warning("campaign %s: fire job for %s ran %.0f s early; ignored", campaign_id, fire_time, early)
        return False
    if early > 0:
        time.sleep(early)
    with app_context():
        return service.fire(int(campaign_id), due)
