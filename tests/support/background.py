"""Running the extension's RQ worker in the test's own process (tests/integration/background)."""

from __future__ import annotations

from rq import SimpleWorker

from flask_broadcasts.background.worker import BroadcastsWorker


class InProcessBroadcastsWorker(SimpleWorker, BroadcastsWorker):
    """:class:`BroadcastsWorker` that runs each job in this process instead of a forked horse.

    SimpleWorker's ``execute_job`` (no fork) comes first; everything else — the app context
    of ``perform_job``, the session removed after each job — is BroadcastsWorker's own.
    """
