from tests.support.fixtures import app, env, is_postgres, redis_url, smtp  # noqa: F401
from tests.support.scheduler_processes import processes  # noqa: F401
from tests.support.sms_fixtures import twilio_standin  # noqa: F401
