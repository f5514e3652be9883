from tests.campaign_fixtures import _validate_jsonapi, api, api_b, app, session  # noqa: F401
