"""``flask broadcasts campaigns list|show|watch`` and the actions ``start|stop|pause|resume ID``.

The actions call the very engine functions the API's actions call
(:mod:`flask_broadcasts.engine.lifecycle`), so the same rules refuse the same moves: where
the API answers ``409 illegal_transition``, the command prints the reason and exits with
:data:`EXIT_REFUSED`. Nothing here writes to the database itself.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Callable
from typing import IO, Any

import click
from flask.cli import AppGroup

from ..engine import lifecycle, retry
from ..engine.schedule import recent_runs
from ..errors import BroadcastsError, ConflictError, NotFoundError
from ..services.operators import all_campaigns, find_campaign
from ..statuses import CampaignStatus
from .formatting import campaign_table, format_time, table
from .watch import BarDisplay, Display, PlainDisplay, watch_campaign

__all__ = ["ACTIONS", "EXIT_NOT_COMPLETED", "EXIT_NOT_FOUND", "EXIT_REFUSED", "campaigns"]

#: Exit status of an action the campaign's status does not allow (the API's 409).
EXIT_REFUSED = 1
#: Exit status of a watch whose run ended ``failed`` or stopped.
EXIT_NOT_COMPLETED = 1
#: Exit status when there is no such campaign (the API's 404; click's usage errors are 2).
EXIT_NOT_FOUND = 3

#: Each action's command name and the engine function it calls, ``(organization_id,
#: campaign_id)``, exactly as the API's ``/broadcast-campaigns/{id}/<name>``. A new action
#: is one line here.
ACTIONS: dict[str, Callable[[str, int], Any]] = {
    "start": lifecycle.start_campaign,
    "stop": lifecycle.stop_campaign,
    "pause": lifecycle.pause_campaign,
    "resume": lifecycle.resume_campaign,
    "retry": retry.retry_campaign,
}

campaigns = AppGroup("campaigns", help="See and steer campaigns of every organization.")


class _Refused(click.ClickException):
    """An action the campaign's status does not allow: its reason alone on stderr."""

    exit_code = EXIT_REFUSED

    def show(self, file: IO[Any] | None = None) -> None:
        """The message alone on stderr (click would prefix it with ``Error:``)."""
        click.echo(self.message, err=True, file=file)


class _NotFound(_Refused):
    """No such campaign."""

    exit_code = EXIT_NOT_FOUND


def _campaign(campaign_id: int, organization_id: str | None = None) -> Any:
    try:
        return find_campaign(campaign_id, organization_id=organization_id)
    except NotFoundError as exc:
        raise _NotFound(exc.detail) from None


@campaigns.command("list")
@click.option("--organization", "organization_id", default=None, help="Only this organization's campaigns.")
@click.option(
    "--status",
    type=click.Choice([status.value for status in CampaignStatus]),
    default=None,
    help="Only campaigns in this status.",
)
@click.option("--limit", type=click.IntRange(min=1), default=None, help="At most this many, newest first.")
def list_campaigns(organization_id: str | None, status: str | None, limit: int | None) -> None:
    """List campaigns, newest first: id, organization, name, status, sent/failed/total, next run."""
    found = all_campaigns(
        organization_id=organization_id, status=CampaignStatus(status) if status else None, limit=limit
    )
    if not found:
        click.echo("No campaigns.")
        return
    for line in campaign_table(found):
        click.echo(line)


@campaigns.command("show")
@click.argument("campaign_id", type=int)
def show_campaign(campaign_id: int) -> None:
    """Show one campaign: its attributes and its recent runs."""
    campaign = _campaign(campaign_id)
    attributes = [
        ("id", campaign.id),
        ("organization", campaign.organization_id),
        ("name", campaign.name),
        ("status", campaign.status),
        ("status reason", campaign.status_reason or "-"),
        ("template", campaign.template_id),
        ("audience", campaign.audience_id),
        ("sent", campaign.sent_count),
        ("failed", campaign.failed_count),
        ("total", campaign.total_count),
        ("scheduled at", format_time(campaign.scheduled_at)),
        ("recurring", f"yes, {campaign.cron} ({campaign.timezone})" if campaign.recurring else "no"),
        ("next run", format_time(campaign.next_run_at)),
        ("runs", campaign.runs_count),
        ("started", format_time(campaign.started_at)),
        ("completed", format_time(campaign.completed_at)),
        ("created", format_time(campaign.created_at)),
        ("updated", format_time(campaign.updated_at)),
    ]
    width = max(len(name) for name, _ in attributes)
    for name, value in attributes:
        click.echo(f"{name.ljust(width)}  {value}")
    runs = recent_runs(campaign.id)
    click.echo("")
    if not runs:
        click.echo("No runs yet.")
        return
    click.echo("Recent runs:")
    rows = (
        (
            run.run_key,
            run.status + (f" ({run.status_reason})" if run.status_reason else ""),
            f"{run.sent_count}/{run.failed_count}/{run.total_count}",
            format_time(run.started_at),
            format_time(run.completed_at),
        )
        for run in runs
    )
    for line in table(("RUN", "STATUS", "SENT/FAILED/TOTAL", "STARTED", "COMPLETED"), rows):
        click.echo("  " + line)


def _plain(text: str) -> str:
    """A docstring's reST as terminal text: ``:data:`x``` and ````x```` become ``x``."""
    return re.sub(r"(?::\w+:)?`+~?([^`]+?)`+", r"\1", text)


def _action_command(name: str, act: Callable[[str, int], Any]) -> click.Command:
    summary = _plain((act.__doc__ or f"{name.capitalize()} a campaign.").strip().splitlines()[0])

    @click.argument("campaign_id", type=int)
    def command(campaign_id: int) -> None:
        campaign = _campaign(campaign_id)
        organization_id, before = str(campaign.organization_id), campaign.status
        try:
            after = act(organization_id, campaign.id)
        except ConflictError as exc:
            status = (exc.meta or {}).get("status", before)
            raise _Refused(
                f"Refused: cannot {name} campaign {campaign_id} ({exc.error_code or 'conflict'}): {exc.detail}"
                f" Its status is {status}."
            ) from None
        except NotFoundError as exc:  # deleted in between
            raise _NotFound(exc.detail) from None
        except BroadcastsError as exc:  # any other refusal of the engine (a 4xx of the API)
            raise _Refused(
                f"Refused: cannot {name} campaign {campaign_id} ({exc.error_code or type(exc).__name__}): {exc.detail}"
            ) from None
        reason = f" ({after.status_reason})" if after.status_reason else ""
        click.echo(f"campaign {campaign_id}: {before} -> {after.status}{reason}")

    command.__doc__ = (
        f"{summary}\n\nWhat POST /broadcast-campaigns/ID/{name} does (the engine's {act.__name__}); exit"
        f" status {EXIT_REFUSED} when the campaign's status does not allow it, {EXIT_NOT_FOUND} when there"
        " is no such campaign."
    )
    return campaigns.command(name)(command)


for _name, _act in ACTIONS.items():
    _action_command(_name, _act)


@campaigns.command("watch")
@click.argument("campaign_id", type=int)
@click.option(
    "--interval",
    type=click.FloatRange(min=0),
    default=1.0,
    show_default=True,
    help="Without a terminal: seconds between two progress lines.",
)
@click.option(
    "--refresh",
    type=click.FloatRange(min=0.1),
    default=2.0,
    show_default=True,
    help="Seconds without an event before the campaign is read again from the database.",
)
def watch(campaign_id: int, interval: float, refresh: float) -> None:
    """Follow a campaign's run live until it is over (sent, failed, rate, ETA), then print its counts.

    A progress bar on a terminal, plain lines otherwise. Exits 0 when the run completed,
    1 when it failed or was stopped.
    """
    _campaign(campaign_id)
    display: Display = BarDisplay(campaign_id) if sys.stdout.isatty() else PlainDisplay(campaign_id, interval=interval)
    final = watch_campaign(campaign_id, display, refresh=refresh)
    if final.status is not CampaignStatus.COMPLETED:
        sys.exit(EXIT_NOT_COMPLETED)
