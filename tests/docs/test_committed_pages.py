"""What a Sphinx build would insert into a page is committed in it, so that a forge, which shows
``.rst`` files without building them, shows the pages whole: the settings table of
``configuration.rst`` (generated from ``flask_broadcasts.config.SETTINGS``) and the code the
guides copy from ``docs/examples/`` and ``example_app/``. ``python docs/conf.py`` rewrites both;
these tests fail when a page is stale."""

from __future__ import annotations

from types import ModuleType

import pytest

from flask_broadcasts.config import SETTINGS
from tests.support.docs import DOCS

PAGE = DOCS / "configuration.rst"


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


# -- code copied into the guides -----------------------------------------------------------


@pytest.mark.parametrize("name", ["integration.rst", "channels.rst", "migrations.rst"])
def test_the_copied_code_is_the_files(conf: ModuleType, name: str) -> None:
    assert name in conf.INLINE_COPY_PAGES
    page = (DOCS / name).read_text()
    assert ".. literalinclude::" not in page  # a hole on a forge
    assert conf.INLINE_COPY.search(page), "no copy found: the reader would check nothing"
    assert conf.with_inline_copies(page) == page, f"stale copy in {name}: run `python docs/conf.py` and commit"


def test_a_copy_is_the_files_section_as_literalinclude_shows_it(conf: ModuleType) -> None:
    page = (DOCS / "integration.rst").read_text()
    copies = {match["path"] for match in conf.INLINE_COPY.finditer(page)}
    assert copies == {"examples/integration.py", "../example_app/models.py", "../example_app/sources.py"}
    # The Booking model, word for word, under the comment that names it.
    booking = conf.copied_code("../example_app/models.py", {"pyobject": "Booking"})
    assert (
        booking.startswith("class Booking(")
        and "\n".join(f"    {line}" if line else "" for line in booking.splitlines()) in page
    )
    edited = page.replace("class Booking(BookingRecipientMixin, db.Model):", "class Booking(db.Model):")
    assert conf.with_inline_copies(edited) == page
