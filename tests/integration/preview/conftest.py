from tests.support.host_fixtures import (  # noqa: F401
    _validate_jsonapi,
    api,
    api_b,
    app,
    database_uri,
    renamed_host,  # noqa: F401
    session,
)
