from tests.support.host_fixtures import _validate_jsonapi, api, api_b, app, database_uri, session  # noqa: F401
