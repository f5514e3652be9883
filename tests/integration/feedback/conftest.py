"""The feedback suite's fixtures (``tests/support/feedback_fixtures.py``), selected for the folder."""

from tests.support.feedback_fixtures import app, make_app, sendgrid_signer, sns  # noqa: F401  (fixtures, by name)
