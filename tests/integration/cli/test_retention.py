"""``flask_broadcasts.cli.retention``: ``flask broadcasts purge --older-than DAYS``.

What an operator relies on: the command says what it deleted, kind by kind, for the scope it
was given; consent records (the proof of consent) are only touched, and only reported, with
``--consent``; a negative age or an empty batch is refused before anything is deleted.
"""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression, utcnow
from flask_broadcasts.services.suppressions import suppress
from tests.support.fixtures import ORG

OTHER = "org-2"


def _purge(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", "purge", *args])


def _old_consent_records(db) -> None:
    """One suppression (with its consent record) in each organization, the records 40 days old."""
    for organization in (ORG, OTHER):
        suppress(organization, "mail", f"gone@{organization}.test", "unsubscribed", {"kind": "user", "id": None})
    db.session.execute(sa.update(BroadcastConsentEvent).values(created_at=utcnow() - timedelta(days=40)))
    db.session.commit()


def _consent_records(db) -> list[str]:
    db.session.rollback()
    return sorted(db.session.scalars(sa.select(BroadcastConsentEvent.organization_id)))


def test_without_consent_the_records_stay_and_their_line_is_not_printed(app):
    from tests.support.hostapp import db

    _old_consent_records(db)
    result = _purge(app, "--older-than", "30")
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "Purged rows older than 30 days (all organizations):"
    assert [line.split()[0] for line in lines[1:]] == ["messages", "sent", "feedback", "tracking", "test", "webhook"]
    assert not any("consent" in line for line in lines)
    assert _consent_records(db) == [ORG, OTHER]


def test_with_consent_one_organizations_old_records_go_and_are_counted(app):
    from tests.support.hostapp import db

    _old_consent_records(db)
    result = _purge(app, "--older-than", "30", "--organization", ORG, "--consent", "--batch-size", "1")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[0] == f"Purged rows older than 30 days (organization {ORG}):"
    assert result.output.splitlines()[-1] == "  consent events       1"
    assert _consent_records(db) == [OTHER]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastSuppression)) == 2  # never purged


def test_records_younger_than_the_age_given_are_kept(app):
    from tests.support.hostapp import db

    _old_consent_records(db)
    result = _purge(app, "--older-than", "41", "--consent")
    assert result.exit_code == 0, result.output
    assert result.output.splitlines()[-1] == "  consent events       0"
    assert _consent_records(db) == [ORG, OTHER]


def test_a_negative_age_or_an_empty_batch_is_a_usage_error_and_deletes_nothing(app):
    from tests.support.hostapp import db

    _old_consent_records(db)
    assert _purge(app, "--older-than", "-1", "--consent").exit_code == 2
    assert _purge(app, "--older-than", "0", "--consent", "--batch-size", "0").exit_code == 2
    assert _purge(app, "--consent").exit_code == 2  # --older-than is required
    assert _consent_records(db) == [ORG, OTHER]
