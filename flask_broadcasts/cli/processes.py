"""``flask broadcasts worker|scheduler|recover|settings``: the processes of a deployment and two helpers.

Commands only forward to :mod:`flask_broadcasts.background` and the engine.
"""

from __future__ import annotations

import dataclasses
import json

import click
from flask import current_app
from flask.cli import with_appcontext

__all__ = ["recover", "scheduler", "show_settings", "worker"]


@click.command("settings")
@with_appcontext
def show_settings() -> None:
    """Print every BROADCASTS_* setting in effect."""
    from ..config import SETTINGS

    for setting in SETTINGS:
        click.echo(f"{setting.key} = {current_app.config[setting.key]!r}")


@click.command("worker")
@with_appcontext
@click.option("--burst", is_flag=True, help="Quit when the queue is empty.")
@click.option(
    "--with-scheduler", is_flag=True, help="Also run the periodic scheduler (recovery sweep) in this process."
)
@click.option("--name", default=None, help="Worker name (default: RQ's).")
def worker(burst: bool, with_scheduler: bool, name: str | None) -> None:
    """Run a worker on BROADCASTS_QUEUE, then BROADCASTS_WEBHOOK_QUEUE (jobs run inside the app context)."""
    from ..background.worker import build_worker, start_periodic_scheduler

    app = current_app._get_current_object()  # type: ignore[attr-defined]
    w = build_worker(app, name=name)
    if with_scheduler:
        start_periodic_scheduler(app)
    # RQ's own scheduler moves retried jobs back to the queue after their backoff.
    w.work(burst=burst, with_scheduler=True)


@click.command("recover")
@with_appcontext
def recover() -> None:
    """Run one recovery sweep now: expired claims, orphaned runs, finished runs."""
    from ..engine.recovery import recover as service

    # asdict, not __dict__: the scheduling part is a dataclass of its own, printed as counts too.
    click.echo(json.dumps(dataclasses.asdict(service()), default=str))


@click.command("scheduler")
@with_appcontext
@click.option("--burst", is_flag=True, help="Move the due jobs once, then exit.")
@click.option(
    "--interval", type=float, default=None, help="Seconds between polls (default BROADCASTS_SCHEDULER_INTERVAL)."
)
@click.option("--register-only", is_flag=True, help="Only register the recovery sweep (for a plain `rqscheduler`).")
def scheduler(burst: bool, interval: float | None, register_only: bool) -> None:
    """Run rq-scheduler on the extension's Redis and queue, with the recovery sweep registered."""
    from ..background import scheduler as runner

    if register_only:
        changed = runner.register_recovery()
        sweep = runner.recovery_job_id(current_app.config["BROADCASTS_QUEUE"])
        click.echo(f"{sweep}: {'registered' if changed else 'already registered'}")
        return
    runner.run_scheduler(burst=burst, interval=interval)
