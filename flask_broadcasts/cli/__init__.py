"""The ``flask broadcasts ...`` command group. Commands only forward to services and the engine.

One module per group of commands: :mod:`.processes` (``worker``, ``scheduler``,
``recover``, ``settings``), :mod:`.campaigns` (``campaigns list|show|watch`` and the
actions), :mod:`.suppressions` (``suppressions import|export``), :mod:`.doctor` and
:mod:`.retention` (``purge``), :mod:`.bounces` (``bounces``).
"""

from __future__ import annotations

from flask.cli import AppGroup

from .bounces import bounces_command
from .campaigns import campaigns
from .doctor import doctor
from .processes import recover, scheduler, show_settings, worker
from .retention import purge_command
from .suppressions import suppressions

__all__ = ["broadcasts_cli"]

broadcasts_cli = AppGroup("broadcasts", help="Broadcast campaigns: workers, scheduler, recovery, operators' tools.")
for command in (
    show_settings,
    worker,
    recover,
    scheduler,
    campaigns,
    suppressions,
    doctor,
    purge_command,
    bounces_command,
):
    broadcasts_cli.add_command(command)
