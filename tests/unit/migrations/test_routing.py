"""Where a host's new revision goes (flask_broadcasts.migrations.routing), without a database:
the host's folder always, a merge when a shipped head is left aside, no empty autogenerate."""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from alembic.config import Config
from alembic.operations import ops
from alembic.script import ScriptDirectory

from flask_broadcasts.migrations import VERSIONS_DIR
from flask_broadcasts.migrations.routing import process_revision_directives

HOST_REVISION = """revision = "host_0001"
down_revision = "{parent}"
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
"""
SHIPPED_REVISION = HOST_REVISION.replace("host_0001", "broadcasts_9001")


def project(tmp_path: Path, *, host_parent: str | None, newer_release: bool = False, autogenerate: bool = True):
    """A migrations directory (``flask db init``'s), the extension's folder and maybe a newer one's."""
    script_location = tmp_path / "migrations"
    (script_location / "versions").mkdir(parents=True)
    (script_location / "script.py.mako").write_text("")
    locations = [str(script_location / "versions"), str(VERSIONS_DIR)]
    config = Config()
    config.set_main_option("script_location", str(script_location))
    config.set_main_option("path_separator", "os")
    shipped = ScriptDirectory.from_config(_with_locations(config, [str(VERSIONS_DIR)]))
    (extension_head,) = shipped.get_heads()
    if host_parent is not None:
        parent = extension_head if host_parent == "extension" else host_parent
        (script_location / "versions" / "host_0001.py").write_text(HOST_REVISION.format(parent=parent))
    if newer_release:
        release = tmp_path / "site-packages" / "versions"
        release.mkdir(parents=True)
        (release / "broadcasts_9001.py").write_text(SHIPPED_REVISION.format(parent=extension_head))
        locations.append(str(release))
    config.cmd_opts = argparse.Namespace(autogenerate=autogenerate)
    script = ScriptDirectory.from_config(_with_locations(config, locations))
    return SimpleNamespace(config=config, script=script), extension_head


def _with_locations(config: Config, locations: list[str]) -> Config:
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


def directive(*, changes: bool = True, version_path: str | None = None) -> ops.MigrationScript:
    upgrade = ops.UpgradeOps(ops=[ops.CreateTableOp("studios", [])] if changes else [])
    return ops.MigrationScript("new", upgrade, ops.DowngradeOps(ops=[]), head="head", version_path=version_path)


def test_a_revision_chained_on_the_extensions_goes_to_the_hosts_folder(tmp_path: Path) -> None:
    context, extension_head = project(tmp_path, host_parent=None)
    assert context.script.get_heads() == [extension_head]
    directives = [directive()]
    process_revision_directives(context, None, directives)
    assert Path(directives[0].version_path) == (tmp_path / "migrations" / "versions").resolve()
    assert directives[0].head == "head"


@pytest.mark.parametrize("autogenerate", [True, False])
def test_a_newer_shipped_head_is_merged_even_with_no_changes(tmp_path: Path, autogenerate: bool) -> None:
    context, _ = project(tmp_path, host_parent="extension", newer_release=True, autogenerate=autogenerate)
    directives = [directive(changes=False)]
    process_revision_directives(context, None, directives)
    (merge,) = directives
    assert merge.head == "heads"
    assert Path(merge.version_path) == (tmp_path / "migrations" / "versions").resolve()


def test_an_autogenerate_with_no_changes_and_nothing_to_merge_writes_nothing(tmp_path: Path) -> None:
    context, _ = project(tmp_path, host_parent="extension")
    directives = [directive(changes=False)]
    process_revision_directives(context, None, directives)
    assert directives == []


def test_two_heads_of_the_hosts_own_are_left_to_the_host(tmp_path: Path) -> None:
    context, _ = project(tmp_path, host_parent="extension")
    other = tmp_path / "migrations" / "versions" / "host_0002.py"
    other.write_text(HOST_REVISION.replace("host_0001", "host_0002").format(parent="broadcasts_0001"))
    context.script = ScriptDirectory.from_config(context.config)
    assert len(context.script.get_heads()) == 2
    directives = [directive()]
    process_revision_directives(context, None, directives)
    assert directives[0].head == "head"  # Alembic then asks which one, as it always did


def test_a_folder_the_user_names_is_kept(tmp_path: Path) -> None:
    context, _ = project(tmp_path, host_parent=None)
    directives = [directive(version_path="elsewhere")]
    process_revision_directives(context, None, directives)
    assert directives[0].version_path == "elsewhere"
