from tests.support.fixtures import app, env, hostapp_database, is_postgres, redis_url, smtp  # noqa: F401
