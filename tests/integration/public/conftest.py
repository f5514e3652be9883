# The host without the JSON:API validation of answers: these routes answer HTML.
from tests.support.host_fixtures import app, database_uri, session  # noqa: F401
