from tests.service_host import app, client, validate_responses  # noqa: F401
