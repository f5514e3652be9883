"""The settings table of ``docs/configuration.rst`` is committed (a forge shows the page whole,
no build needed), and it is the one ``flask_broadcasts.config.SETTINGS`` generates."""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest

from flask_broadcasts.config import SETTINGS

from .conftest import DOCS

PAGE = DOCS / "configuration.rst"


@pytest.fixture(scope="module")
def conf() -> ModuleType:
    """``docs/conf.py``, whose ``settings_table()`` renders the table (``python docs/conf.py`` rewrites it)."""
    spec = importlib.util.spec_from_file_location("broadcasts_docs_conf_settings", DOCS / "conf.py")
    module = importlib.util.module_from_spec(spec)
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(DOCS)
        patch.setattr(sys, "path", list(sys.path))  # conf.py puts the repository first
        spec.loader.exec_module(module)
    return module


def test_the_committed_settings_table_is_up_to_date(conf: ModuleType) -> None:
    page = PAGE.read_text()
    assert conf.with_settings_table(page) == page, "stale settings table: run `python docs/conf.py` and commit"


def test_the_page_lists_every_setting_with_its_default(conf: ModuleType) -> None:
    page = PAGE.read_text()
    assert ".. include::" not in page  # nothing the forge cannot show
    table = page[page.index(conf.SETTINGS_BEGIN) : page.index(conf.SETTINGS_END)]
    for setting in SETTINGS:
        assert f"``{setting.key}``\n     - ``{setting.default!r}``" in table, setting.key


def test_a_changed_setting_makes_the_page_stale(conf: ModuleType, monkeypatch: pytest.MonkeyPatch) -> None:
    page = PAGE.read_text()
    monkeypatch.setattr("flask_broadcasts.config.SETTINGS", (*SETTINGS[:-1],))
    assert conf.with_settings_table(page) != page
