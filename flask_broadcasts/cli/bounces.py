"""``flask broadcasts bounces --mbox PATH | --maildir PATH``: apply a bounce mailbox.

Only forwards to :func:`flask_broadcasts.feedback.mailboxes.read_mailbox`.
"""

from __future__ import annotations

from pathlib import Path

import click

from ..feedback.mailboxes import read_mailbox

__all__ = ["bounces_command"]


@click.command("bounces")
@click.option("--mbox", type=click.Path(dir_okay=False, path_type=Path), help="An mbox file of bounce mail.")
@click.option("--maildir", type=click.Path(file_okay=False, path_type=Path), help="A Maildir of bounce mail.")
def bounces_command(mbox: Path | None, maildir: Path | None) -> None:
    """Read the bounce mail of BROADCASTS_BOUNCE_ADDRESS's mailbox (it is not changed;
    reading it again changes nothing)."""
    path = mbox if maildir is None else maildir
    if path is None or (mbox is not None and maildir is not None):
        raise click.UsageError("give exactly one of --mbox PATH and --maildir PATH")
    try:
        summary = read_mailbox(path, maildir=maildir is not None)
    except (FileNotFoundError, RuntimeError) as exc:
        raise click.ClickException(str(exc)) from None
    click.echo(str(summary))
