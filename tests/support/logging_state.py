"""Logging as it was before a piece of code that reconfigures it.

Flask-Migrate's ``env.py`` runs ``logging.config.fileConfig``, which disables every logger
it does not name and replaces the root's handlers. Run in the test process (a scratch
database migrated with ``flask db upgrade``), that silenced ``flask_broadcasts.*`` for
every later test of the session: a test asserting a warning was logged then failed or
passed depending on which tests ran before it in its process.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from contextlib import contextmanager

__all__ = ["logging_kept"]


@contextmanager
def logging_kept() -> Iterator[None]:
    """Put every logger's ``disabled``, and the root's level and handlers, back afterwards."""
    loggers = [logger for logger in logging.root.manager.loggerDict.values() if isinstance(logger, logging.Logger)]
    disabled = {logger: logger.disabled for logger in loggers}
    root_level, root_handlers = logging.root.level, list(logging.root.handlers)
    try:
        yield
    finally:
        for logger in logging.root.manager.loggerDict.values():
            if isinstance(logger, logging.Logger):
                logger.disabled = disabled.get(logger, False)
        logging.root.setLevel(root_level)
        logging.root.handlers[:] = root_handlers
