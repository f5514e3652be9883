"""The security suite's fixtures: the example host with two tenants of everything, and the tally of probes printed at the end.

They live in ``tests/support/security.py``; this file only selects them for the folder."""

# The realtime fixtures that test_websocket.py runs on the realtime app it selects.
from tests.support.realtime import publish, server  # noqa: F401
from tests.support.security import (  # noqa: F401  (fixtures, by name)
    app,
    pytest_terminal_summary,
    security_database,
    tally,
    world,
)
