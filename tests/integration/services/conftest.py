"""The services suite's fixtures: the small host with its sending settings (``tests/support/fixtures.py``:
real Redis and SMTP, a database with no rows), and that database's URL for a test building an app of its own."""

from tests.support.fixtures import app, env, is_postgres, redis_url, smtp  # noqa: F401
from tests.support.host_fixtures import database_uri  # noqa: F401
