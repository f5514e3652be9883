"""The sms suite's fixtures: an app with the extension's tables and the Twilio stand-in on loopback.

They live in ``tests/support/sms_fixtures.py``; this file only selects them for the folder."""

from tests.support.sms_fixtures import (  # noqa: F401  (fixtures, by name)
    app,
    make_app,
    twilio_standin,
)
