"""The SMS channel's fixtures: the Twilio stand-in on loopback and the small host's app factory.

They live in ``tests/support/sms_fixtures.py``; this file only selects them for the folder."""

from tests.support.sms_fixtures import make_app, twilio_standin  # noqa: F401  (fixtures, by name)
