"""The app's own commands: ``flask seed`` and ``flask embedded-redis``. They forward to services."""

from __future__ import annotations

import json

import click
from flask import Flask, current_app
from flask.cli import with_appcontext

from . import embedded_redis
from .seed import seed


@click.command("seed")
@click.option(
    "--customers", default=50, show_default=True, type=click.IntRange(min=0), help="Customers per organization."
)
@with_appcontext
def seed_command(customers: int) -> None:
    """Add two demo organizations and print them, with their API tokens, as one JSON object."""
    click.echo(json.dumps(seed(customers)))


@click.command("embedded-redis")
@click.option("--stop", is_flag=True, help="Shut the embedded Redis of this instance folder down.")
@with_appcontext
def embedded_redis_command(stop: bool) -> None:
    """Start (or find) the embedded Redis of the instance folder and print its URL."""
    instance = current_app.instance_path
    if stop:
        stopped = embedded_redis.stop(instance)
        click.echo("stopped" if stopped else "not running", err=True)
        return
    click.echo(embedded_redis.ensure_running(instance))


def register(app: Flask) -> None:
    app.cli.add_command(seed_command)
    app.cli.add_command(embedded_redis_command)
