"""The documentation builds with warnings as errors, as ``make docs`` does in CI (a few seconds)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.docs import DOCS

# A whole Sphinx build in a process of its own: with the real-process tests, out of the fast part.
pytestmark = pytest.mark.e2e


def test_docs_build_without_warnings(tmp_path: Path) -> None:
    pytest.importorskip("sphinx")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q", str(DOCS), str(tmp_path / "html")],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=DOCS.parent,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "html" / "reference.html").exists()
