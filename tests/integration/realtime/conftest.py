"""The realtime suite's fixtures: the realtime host (tests/support/realtime_host.py) behind a real server, a real Redis.

They live in ``tests/support/realtime.py``; this file only selects them for the folder."""

from tests.support.realtime import (  # noqa: F401  (fixtures, by name)
    app,
    channel_prefix,
    publish,
    redis_client,
    redis_url,
    server,
)
