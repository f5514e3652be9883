"""The docs suite's fixtures: docs/conf.py as Sphinx loads it, the example app, the SMS app and Twilio stand-in.

They live in ``tests/support/docs.py``; this file only selects them for the folder."""

from tests.support.docs import (  # noqa: F401  (fixtures, by name)
    conf,
    example_app,
    make_app,
    twilio_standin,
)
