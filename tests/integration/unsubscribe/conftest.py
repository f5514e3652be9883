from tests.campaign_fixtures import _validate_jsonapi, api, api_b, app, campaigns_host_database, session  # noqa: F401
