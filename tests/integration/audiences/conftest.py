from tests.support.host_fixtures import app, client, database_uri, validate_responses  # noqa: F401
