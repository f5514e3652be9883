"""``flask broadcasts suppressions import|export``: the list as CSV. A file with bad rows names
each by its line and imports nothing; an import appends consent records (method ``import``);
export → import into an empty list → export gives the same file."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from flask_broadcasts.services.suppressions import suppress
from tests.support.host_fixtures import ORG_A, ORG_B, db

HEADER = "channel,address,reason\n"


def _cli(app, *args: str):
    return app.test_cli_runner().invoke(args=["broadcasts", "suppressions", *args])


def _addresses(org: str) -> list[tuple[str, str, str]]:
    db.session.rollback()
    rows = db.session.execute(
        sa.select(BroadcastSuppression.channel, BroadcastSuppression.address, BroadcastSuppression.reason)
        .where(BroadcastSuppression.organization_id == org)
        .order_by(BroadcastSuppression.address)
    )
    return [tuple(row) for row in rows]


def test_bad_rows_are_named_by_line_and_nothing_is_imported(app, tmp_path: Path):
    suppress(ORG_A, "mail", "kept@example.com", "manual", {"kind": "user", "id": None})
    bad = tmp_path / "old-list.csv"
    bad.write_text(
        HEADER
        + "mail,ann@example.com,unsubscribed\n"  # line 2: fine
        + "fax,bob@example.com,manual\n"  # line 3
        + "mail,not-an-address,manual\n"  # line 4
        + "sms,+33612345678,maybe\n"  # line 5
        + "mail,ANN@example.com,bounced\n"  # line 6: line 2 again
        + "mail,c@example.com,manual,extra\n",  # line 7
        encoding="utf-8",
    )
    result = _cli(app, "import", "--organization", ORG_A, str(bad))
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert [line.split(":")[1].strip() for line in lines[:-1]] == [f"line {n}" for n in (3, 4, 5, 6, 7)]
    assert "'fax'" in lines[0] and "not-an-address" in lines[1] and "'maybe'" in lines[2]
    assert "already on line 2" in lines[3]
    assert lines[-1] == "old-list.csv: 5 bad row(s); nothing was imported."
    assert _addresses(ORG_A) == [("mail", "kept@example.com", "manual")]
    assert db.session.scalar(sa.select(sa.func.count()).select_from(BroadcastConsentEvent)) == 1  # kept's own
    missing = tmp_path / "no-reason.csv"
    missing.write_text("channel,address\nmail,a@example.com\n", encoding="utf-8")
    refused = _cli(app, "import", "--organization", ORG_A, str(missing))
    assert refused.exit_code == 1 and "line 1: missing column(s) reason" in refused.stderr


def test_import_records_consent_and_the_round_trip_is_identity(app, tmp_path: Path):
    source = tmp_path / "from-old-tool.csv"
    # A spreadsheet's CSV: a byte-order mark, CRLF line ends, spaces and capitals.
    source.write_bytes(
        (
            "\ufeffchannel,address,reason\r\n"
            "mail, Ann@Example.com ,unsubscribed\r\n"
            "sms,+33 6 12 34 56 78,sms_stop\r\n"
            "mail,kept@example.com,manual\r\n"
        ).encode("utf-8")
    )
    suppress(ORG_A, "mail", "kept@example.com", "bounced", {"kind": "provider", "id": "ses-1"})
    result = _cli(app, "import", "--organization", ORG_A, str(source))
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == "2 added, 1 already on the list."
    assert _addresses(ORG_A) == [
        ("sms", "+33612345678", "sms_stop"),
        ("mail", "ann@example.com", "unsubscribed"),
        ("mail", "kept@example.com", "bounced"),
    ]
    imported = db.session.execute(
        sa.select(BroadcastConsentEvent.address, BroadcastConsentEvent.method, BroadcastConsentEvent.reference).where(
            BroadcastConsentEvent.method == "import"
        )
    ).all()
    assert sorted(map(tuple, imported)) == [
        ("+33612345678", "import", "from-old-tool.csv"),
        ("ann@example.com", "import", "from-old-tool.csv"),
    ]

    exported = tmp_path / "a.csv"
    assert _cli(app, "export", "--organization", ORG_A, str(exported)).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    assert text.splitlines()[0] == "channel,address,reason,source_kind,source_id,created_at"
    assert [line.split(",")[:2] for line in text.splitlines()[1:]] == [
        ["mail", "ann@example.com"],
        ["mail", "kept@example.com"],
        ["sms", "+33612345678"],
    ]
    assert ",import,from-old-tool.csv," in text and ",provider,ses-1," in text
    # Into another organization's empty list, and out again: the same file.
    assert _cli(app, "import", "--organization", ORG_B, str(exported)).exit_code == 0
    again = _cli(app, "export", "--organization", ORG_B)
    assert again.exit_code == 0 and again.stdout == text
