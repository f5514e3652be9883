"""The bounce suite runs real campaigns against a real SMTP server (``tests/support/fixtures.py``)."""

from tests.support.fixtures import app, env, is_postgres, redis_url, smtp  # noqa: F401
