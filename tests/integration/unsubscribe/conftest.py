from tests.support.campaigns_host import _validate_jsonapi, api, api_b, app, campaigns_host_database, session  # noqa: F401
