"""``flask broadcasts suppressions import|export``: an organization's suppression list as CSV.

Both only forward to :mod:`flask_broadcasts.services.suppression_csv`. ``import`` writes
nothing when a row is bad: it names each bad row by its line and exits with
:data:`EXIT_BAD_ROWS`.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click
from flask.cli import AppGroup

from ..services.suppression_csv import ImportRefused, export_suppressions, import_suppressions

__all__ = ["EXIT_BAD_ROWS", "suppressions"]

#: Exit status of an import refused for bad rows (click's usage errors are 2).
EXIT_BAD_ROWS = 1

suppressions = AppGroup("suppressions", help="Import or export an organization's suppression list (CSV).")


@suppressions.command("import")
@click.option("--organization", "organization_id", required=True, help="The organization whose list it is.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
def import_command(organization_id: str, file: Path) -> None:
    """Add FILE's rows (columns channel, address, reason; all or none)."""
    # utf-8-sig: a spreadsheet's "CSV UTF-8" starts with a byte-order mark.
    with file.open(newline="", encoding="utf-8-sig") as stream:
        try:
            result = import_suppressions(organization_id, stream, name=file.name)
        except ImportRefused as refused:
            for problem in refused.problems:
                click.echo(f"{file.name}: {problem}", err=True)
            click.echo(f"{file.name}: {refused.detail}", err=True)
            sys.exit(EXIT_BAD_ROWS)
    click.echo(f"{result.added} added, {result.already} already on the list.")


@suppressions.command("export")
@click.option("--organization", "organization_id", required=True, help="The organization whose list it is.")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path), required=False)
def export_command(organization_id: str, file: Path | None) -> None:
    """Write the list as CSV to FILE (standard output without one)."""
    if file is None:
        with click.open_file("-", "w") as stdout:  # kept open: it is the process's
            export_suppressions(organization_id, stdout)
        return
    with file.open("w", newline="", encoding="utf-8") as stream:
        written = export_suppressions(organization_id, stream)
    click.echo(f"{written} row(s) written to {file}.", err=True)
