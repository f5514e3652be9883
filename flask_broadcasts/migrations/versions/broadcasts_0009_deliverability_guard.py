"""flask-broadcasts: the deliverability guard's baseline.

Revision ID: broadcasts_0009
Revises: broadcasts_0008
Create Date: 2026-12-02

Adds one nullable column (a plain ADD COLUMN: no copy of a large table on either database;
existing rows keep ``NULL``, which means "judge the run from its start"):

- ``broadcast_campaigns.guard_baseline``: the run's counters when an operator resumed it
  after the guard paused it (``{"run_key", "sent", "bounced", "complained"}``).

The SMS keywords and Twilio's 21610 need nothing new: ``sms_stop`` suppressions and the
consent records exist already.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0009"
down_revision = "broadcasts_0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add ``broadcast_campaigns.guard_baseline``."""
    op.add_column("broadcast_campaigns", sa.Column("guard_baseline", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop it again (SQLite rebuilds the table for that)."""
    with op.batch_alter_table("broadcast_campaigns") as batch:
        batch.drop_column("guard_baseline")
