"""The ``flask broadcasts ...`` command group. Commands only forward to services."""

from __future__ import annotations

import click
from flask.cli import AppGroup

broadcasts_cli = AppGroup("broadcasts", help="Broadcast campaigns: workers, scheduler, recovery.")


@broadcasts_cli.command("settings")
def show_settings() -> None:
    """Print every BROADCASTS_* setting in effect."""
    from flask import current_app

    from .config import SETTINGS

    for setting in SETTINGS:
        click.echo(f"{setting.key} = {current_app.config[setting.key]!r}")
