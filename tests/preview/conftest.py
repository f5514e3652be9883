from tests.campaign_fixtures import app, session  # noqa: F401
