from tests.campaign_fixtures import (  # noqa: F401
    _validate_jsonapi,
    api,
    api_b,
    app,
    campaigns_host_database,
    renamed_host,  # noqa: F401
    session,
)
