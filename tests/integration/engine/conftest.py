from tests.support.fixtures import app, env, is_postgres, redis_url, smtp  # noqa: F401
from tests.support.scheduling import launch, make_campaign, session, timers  # noqa: F401
