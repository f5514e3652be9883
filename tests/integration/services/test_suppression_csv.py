"""flask_broadcasts.services.suppression_csv: the suppression list as CSV. A user relies on a file
with any bad row importing nothing, every problem named by its line; on an import adding each
new address once (in its stored form, with its consent record) and counting those already
listed; and on export, import into an empty list and export again giving the same file."""

from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from flask_broadcasts.models import BroadcastConsentEvent, BroadcastSuppression
from flask_broadcasts.services.suppression_csv import ImportRefused, export_suppressions, import_suppressions
from flask_broadcasts.services.suppressions import suppress
from flask_broadcasts.state import get_state
from tests.support.fixtures import ORG

OTHER = "org-2"


def _import(text: str, organization: str = ORG, name: str | None = "old-list.csv"):
    return import_suppressions(organization, io.StringIO(text, newline=""), name=name)


def _export(organization: str) -> str:
    out = io.StringIO()
    export_suppressions(organization, out)
    return out.getvalue()


def _count(model) -> int:
    session = get_state().session
    session.rollback()
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_any_bad_row_imports_nothing_and_each_is_named_by_its_line(app):
    text = (
        "channel,address,reason\n"
        "mail,ann@example.com,unsubscribed\n"  # good, and still not imported
        "fax,ann@example.com,unsubscribed\n"
        "mail,not-an-address,bounced\n"
        "mail,ANN@example.com,bored\n"
        "sms,+33612345678,sms_stop,extra\n"
    )
    with pytest.raises(ImportRefused) as refused:
        _import(text)
    lines = [(p.line, p.message) for p in refused.value.problems]
    assert [line for line, _ in lines] == [3, 4, 5, 6]
    assert "channel 'fax'" in lines[0][1] and "address 'not-an-address'" in lines[1][1]
    # Line 5 is both a bad reason and, in its stored form, line 2's address again.
    assert "reason 'bored'" in lines[2][1] and "already on line 2" in lines[2][1]
    assert "4 fields, the header has 3" in lines[3][1]
    assert _count(BroadcastSuppression) == 0 and _count(BroadcastConsentEvent) == 0

    with pytest.raises(ImportRefused) as refused:
        _import("address,reason,note\nann@example.com,manual,x\n")
    (problem,) = refused.value.problems
    assert problem.line == 1 and "missing column(s) channel" in problem.message
    assert "unknown column(s) note" in problem.message


def test_an_import_adds_each_new_address_once_with_its_consent_record(app):
    suppress(ORG, "mail", "bob@example.com", "manual", {"kind": "user", "id": None})
    imported = _import(
        "channel,address,reason\n"
        " mail , Ann@Example.com ,unsubscribed\n"
        "mail,BOB@example.com,bounced\n"
        "sms,+33 6 12 34 56 78,sms_stop\n"
    )
    assert (imported.added, imported.already) == (2, 1)
    session = get_state().session
    rows = session.execute(
        sa.select(
            BroadcastSuppression.address,
            BroadcastSuppression.reason,
            BroadcastSuppression.source_kind,
            BroadcastSuppression.source_id,
        ).order_by(BroadcastSuppression.address)
    )
    assert [tuple(r) for r in rows] == [
        ("+33612345678", "sms_stop", "import", "old-list.csv"),
        ("ann@example.com", "unsubscribed", "import", "old-list.csv"),
        ("bob@example.com", "manual", "user", None),  # already listed: left as it was
    ]
    records = session.execute(
        sa.select(BroadcastConsentEvent.address, BroadcastConsentEvent.method, BroadcastConsentEvent.reference)
        .where(BroadcastConsentEvent.method == "import")
        .order_by(BroadcastConsentEvent.address)
    )
    assert [tuple(r) for r in records] == [
        ("+33612345678", "import", "old-list.csv"),
        ("ann@example.com", "import", "old-list.csv"),
    ]


def test_export_import_into_an_empty_list_and_export_again_gives_the_same_file(app):
    _import(
        "channel,address,reason,source_kind,source_id,created_at\n"
        "sms,+33612345678,sms_stop,provider,SM1,2026-01-02T03:04:05+00:00\n"
        "mail,zoe@example.com,bounced,provider,,2025-12-31T23:00:00-02:00\n"
        "mail,ann@example.com,unsubscribed,,,\n"
    )
    first = _export(ORG)
    lines = first.splitlines()
    assert lines[0] == "channel,address,reason,source_kind,source_id,created_at"
    # By channel, then address; times in UTC; a row naming no source is the file's import.
    assert [line.split(",")[:5] for line in lines[1:]] == [
        ["mail", "ann@example.com", "unsubscribed", "import", "old-list.csv"],
        ["mail", "zoe@example.com", "bounced", "provider", ""],
        ["sms", "+33612345678", "sms_stop", "provider", "SM1"],
    ]
    assert lines[2].endswith(",2026-01-01T01:00:00+00:00") and lines[3].endswith(",2026-01-02T03:04:05+00:00")

    assert _export(OTHER).splitlines() == [lines[0]]  # another organization's list is its own
    assert _import(first, OTHER, name="export.csv").added == 3
    assert _export(OTHER) == first
