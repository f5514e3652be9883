"""The extension's Alembic branch: one head, and every revision upgrades a database that
holds data at the revision before it, on SQLite and PostgreSQL (CONVENTIONS: migrations):
each revision's own tests are in ``versions/``, one file per revision."""

from __future__ import annotations

from flask_broadcasts.migrations import BRANCH_LABEL
from tests.support.database import extension_script


def test_the_branch_has_one_head() -> None:
    _, script = extension_script()
    heads = script.get_revisions(f"{BRANCH_LABEL}@head")
    assert [head.revision for head in heads] == ["broadcasts_0011"]
    assert script.get_revision("broadcasts_0011").down_revision == "broadcasts_0010"
    assert script.get_revision("broadcasts_0010").down_revision == "broadcasts_0009"
    assert script.get_revision("broadcasts_0009").down_revision == "broadcasts_0008"
    assert script.get_revision("broadcasts_0008").down_revision == "broadcasts_0007"
    assert script.get_revision("broadcasts_0007").down_revision == "broadcasts_0006"
    assert script.get_revision("broadcasts_0006").down_revision == "broadcasts_0005"
    assert script.get_revision("broadcasts_0005").down_revision == "broadcasts_0004"
    assert script.get_revision("broadcasts_0004").down_revision == "broadcasts_0003"
    assert script.get_revision("broadcasts_0003").down_revision == "broadcasts_0002"
    assert script.get_revision("broadcasts_0002").down_revision == "broadcasts_0001"
