from tests.service_host import app  # noqa: F401
