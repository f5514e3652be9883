"""``flask_broadcasts.cli.suppressions``: ``flask broadcasts suppressions import|export``.

What an operator (or a script around the command) relies on: a good file says how many
rows it added; a file with a bad row exits with status 1 (``EXIT_BAD_ROWS``, not click's 2),
names the row on standard error and adds nothing; ``export`` without a file writes the CSV
to standard output and nothing else, with a file it writes there and says so on standard
error. The CSV's rules themselves are the service's (tests/integration/unsubscribe).
"""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from flask_broadcasts.cli.suppressions import EXIT_BAD_ROWS
from flask_broadcasts.models import BroadcastSuppression
from tests.support.fixtures import ORG

HEADER = "channel,address,reason\n"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", "suppressions", *args])


def _addresses(db, organization: str = ORG) -> list[str]:
    db.session.rollback()
    return sorted(
        db.session.scalars(
            sa.select(BroadcastSuppression.address).where(BroadcastSuppression.organization_id == organization)
        )
    )


def test_an_import_says_what_it_added_and_the_export_to_stdout_is_only_the_csv(app, tmp_path: Path):
    from tests.support.hostapp import db

    source = tmp_path / "list.csv"
    source.write_text(HEADER + "mail,b@example.com,manual\nmail,a@example.com,unsubscribed\n", encoding="utf-8")
    imported = _cli(app, "import", "--organization", ORG, str(source))
    assert imported.exit_code == 0, imported.output
    assert imported.stdout == "2 added, 0 already on the list.\n"
    again = _cli(app, "import", "--organization", ORG, str(source))
    assert again.stdout == "0 added, 2 already on the list.\n"

    exported = _cli(app, "export", "--organization", ORG)
    assert exported.exit_code == 0, exported.output
    lines = exported.stdout.splitlines()
    assert lines[0] == "channel,address,reason,source_kind,source_id,created_at"
    assert [line.split(",")[:3] for line in lines[1:]] == [
        ["mail", "a@example.com", "unsubscribed"],
        ["mail", "b@example.com", "manual"],
    ]
    assert exported.stderr == ""  # a pipe gets the CSV alone
    assert _addresses(db) == ["a@example.com", "b@example.com"]


def test_a_bad_row_exits_with_the_bad_rows_status_names_its_line_and_adds_nothing(app, tmp_path: Path):
    from tests.support.hostapp import db

    source = tmp_path / "old.csv"
    source.write_text(HEADER + "mail,ok@example.com,manual\nmail,ok2@example.com,maybe\n", encoding="utf-8")
    result = _cli(app, "import", "--organization", ORG, str(source))
    assert result.exit_code == EXIT_BAD_ROWS == 1
    assert result.stdout == ""
    assert result.stderr.splitlines()[0].startswith("old.csv: line 3: reason 'maybe'")
    assert result.stderr.splitlines()[-1] == "old.csv: 1 bad row(s); nothing was imported."
    assert _addresses(db) == []


def test_an_export_to_a_file_writes_it_and_reports_on_stderr(app, tmp_path: Path):
    source = tmp_path / "list.csv"
    source.write_text(HEADER + "sms,+33612345678,sms_stop\n", encoding="utf-8")
    assert _cli(app, "import", "--organization", ORG, str(source)).exit_code == 0
    target = tmp_path / "out.csv"
    result = _cli(app, "export", "--organization", ORG, str(target))
    assert result.exit_code == 0, result.output
    assert result.stdout == ""
    assert result.stderr == f"1 row(s) written to {target}.\n"
    assert target.read_text(encoding="utf-8").splitlines()[1].startswith("sms,+33612345678,sms_stop,import,list.csv,")
    # Another organization's list is not this one's.
    assert _cli(app, "export", "--organization", "org-2").stdout.splitlines()[1:] == []


def test_a_missing_organization_or_file_is_a_usage_error(app, tmp_path: Path):
    assert _cli(app, "import", str(tmp_path / "none.csv"), "--organization", ORG).exit_code == 2
    source = tmp_path / "list.csv"
    source.write_text(HEADER, encoding="utf-8")
    assert _cli(app, "import", str(source)).exit_code == 2
    assert _cli(app, "export").exit_code == 2
