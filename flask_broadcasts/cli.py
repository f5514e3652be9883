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


@broadcasts_cli.command("scheduler")
@click.option("--burst", is_flag=True, help="Move the due jobs once, then exit.")
@click.option("--interval", type=float, default=None, help="Seconds between polls (default BROADCASTS_SCHEDULER_INTERVAL).")
@click.option("--register-only", is_flag=True, help="Only register the recovery sweep (for a plain `rqscheduler`).")
def scheduler(burst: bool, interval: float | None, register_only: bool) -> None:
    """Run rq-scheduler on the extension's Redis and queue, with the recovery sweep registered."""
    from .scheduling import runner

    if register_only:
        changed = runner.register_recovery()
        click.echo(f"{runner.RECOVERY_JOB_ID}: {'registered' if changed else 'already registered'}")
        return
    runner.run_scheduler(burst=burst, interval=interval)
