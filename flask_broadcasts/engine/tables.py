"""The engine's tables as SQLAlchemy Core objects, the status values its SQL compares, and
the few SQL pieces every engine module shares.

The engine writes set-based Core SQL (``UPDATE ... RETURNING``, ``ON CONFLICT``), not ORM
unit-of-work: these are its names for the extension's tables.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy import and_

from ..models import BroadcastCampaign, BroadcastMessage, BroadcastRun, BroadcastSentEmail
from ..services._common import dialect_insert as dialect_insert  # the engine's modules take it from here
from ..statuses import OPEN_RUN_CAMPAIGN_STATUSES, RUNNING_CAMPAIGN_STATUSES, SENT_MESSAGE_STATUSES, MessageStatus

# DeclarativeBase types ``__table__`` as a FromClause; on a declarative class it is always a Table.
campaigns: sa.Table = BroadcastCampaign.__table__  # type: ignore[assignment]
messages: sa.Table = BroadcastMessage.__table__  # type: ignore[assignment]
runs: sa.Table = BroadcastRun.__table__  # type: ignore[assignment]
sent_emails: sa.Table = BroadcastSentEmail.__table__  # type: ignore[assignment]

RUNNING = tuple(s.value for s in RUNNING_CAMPAIGN_STATUSES)
#: Running or paused: the run's outcomes still count, its claimed messages are released, never deleted.
OPEN_RUN = tuple(s.value for s in OPEN_RUN_CAMPAIGN_STATUSES)
SENT = tuple(s.value for s in SENT_MESSAGE_STATUSES)
PENDING = MessageStatus.PENDING.value
FAILED = MessageStatus.FAILED.value


def run_messages(campaign_id: int, run_key: str) -> Any:
    """The SQL condition selecting the messages of one run."""
    return and_(messages.c.campaign_id == campaign_id, messages.c.run_key == run_key)
