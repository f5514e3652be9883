from tests.support.fixtures import app, env, is_postgres, redis_url, smtp  # noqa: F401
