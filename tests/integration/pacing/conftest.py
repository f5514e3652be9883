from tests.support.campaigns_host import (  # noqa: F401
    _validate_jsonapi,
    api,
    api_b,
    app,
    campaigns_host_database,
    renamed_host,  # noqa: F401
    session,
)
