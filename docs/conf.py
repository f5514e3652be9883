"""Sphinx configuration of the flask-broadcasts documentation."""

from __future__ import annotations

import os
import sys

sys.path.insert(0, os.path.abspath(".."))

project = "flask-broadcasts"
author = "flask-broadcasts developers"
extensions = ["sphinx.ext.autodoc", "sphinx.ext.intersphinx", "sphinx.ext.viewcode"]
autodoc_member_order = "bysource"
autodoc_typehints = "description"
intersphinx_mapping = {}
html_theme = "alabaster"
exclude_patterns = ["_build"]
nitpicky = False


def _write_settings_table() -> None:
    """Render every BROADCASTS_* setting from flask_broadcasts.config.SETTINGS (one source of truth)."""
    from flask_broadcasts.config import SETTINGS

    lines = [".. list-table::", "   :header-rows: 1", "   :widths: 30 20 50", "", "   * - Key", "     - Default", "     - Meaning"]
    for setting in SETTINGS:
        lines += [f"   * - ``{setting.key}``", f"     - ``{setting.default!r}``", f"     - {setting.doc}"]
    out = os.path.join(os.path.dirname(__file__), "_generated")
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "settings.rst"), "w", encoding="utf-8") as handle:
        handle.write("\n".join(lines) + "\n")


_write_settings_table()
