"""RQ jobs of the scheduler, importable by dotted path. They translate and call the service."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from flask import current_app, has_app_context

from .plan import parse_run_key

__all__ = ["fire_campaign"]


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

    :param fire_time: the fire time in ISO 8601 UTC (``2026-03-29T01:00:00Z``), which is
        also the run key of a recurring run.
    :return: whether this job started the run (``False`` for a duplicate).
    """
    from . import service

    with app_context():
        return service.fire(int(campaign_id), parse_run_key(fire_time))
