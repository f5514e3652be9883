"""``flask broadcasts purge --older-than DAYS [--organization ID] [--consent]``: forwards to
:func:`flask_broadcasts.services.retention.purge` and prints what it deleted."""

from __future__ import annotations

from datetime import timedelta

import click

from ..services.retention import DEFAULT_BATCH_SIZE, purge

__all__ = ["purge_command"]


@click.command(
    "purge",
    help=(
        "Delete messages of runs that ended more than DAYS days ago (with their sent-email rows), "
        "older test sends and settled webhook deliveries, in batches. Campaigns, runs and their "
        "counters and suppressions are kept; consent records too, unless --consent."
    ),
)
@click.option("--older-than", "days", type=click.IntRange(min=0), required=True, metavar="DAYS")
@click.option("--organization", "organization_id", metavar="ID", help="Only this organization's rows.")
@click.option(
    "--batch-size",
    type=click.IntRange(min=1),
    default=DEFAULT_BATCH_SIZE,
    show_default=True,
    help="Rows deleted per transaction.",
)
@click.option("--consent", is_flag=True, help="Also delete consent records older than DAYS (they prove consent).")
def purge_command(days: int, organization_id: str | None, batch_size: int, consent: bool) -> None:
    result = purge(timedelta(days=days), organization_id=organization_id, batch_size=batch_size, consent=consent)
    scope = f"organization {organization_id}" if organization_id else "all organizations"
    click.echo(f"Purged rows older than {days} days ({scope}):")
    for kind, count in result.items():
        if kind == "consent_events" and not consent:
            continue
        click.echo(f"  {kind.replace('_', ' '):<20} {count}")
