from tests.support.service_host import app, client, database_uri, service_host_database, validate_responses  # noqa: F401
