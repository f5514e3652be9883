# The campaigns host without the JSON:API validation of answers: these routes answer HTML.
from tests.support.campaigns_host import app, campaigns_host_database, session  # noqa: F401
