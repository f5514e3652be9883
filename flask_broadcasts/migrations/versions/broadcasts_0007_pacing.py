"""flask-broadcasts: pacing — send-by, quiet hours and local delivery time.

Revision ID: broadcasts_0007
Revises: broadcasts_0006
Create Date: 2026-12-02

Adds nullable columns only (a plain ADD COLUMN: no copy of a large table on either
database; existing rows keep ``NULL``, which means what they did before):

- ``broadcast_campaigns.expires_at``: messages not sent by then fail ``expired``;
- ``broadcast_campaigns.send_window``: quiet hours, ``{"start", "end", "days"}`` in each
  recipient's time zone;
- ``broadcast_campaigns.deliver_at_local``: ``"HH:MM"``, each recipient's wall-clock time;
- ``broadcast_messages.time_zone``: the recipient's zone the run evaluated them in.

The rate limits and the providers' pauses live in Redis: nothing to store.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0007"
down_revision = "broadcasts_0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Add the pacing columns."""
    op.add_column("broadcast_campaigns", sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("broadcast_campaigns", sa.Column("send_window", sa.JSON(), nullable=True))
    op.add_column("broadcast_campaigns", sa.Column("deliver_at_local", sa.String(length=5), nullable=True))
    op.add_column("broadcast_messages", sa.Column("time_zone", sa.String(length=64), nullable=True))


def downgrade() -> None:
    """Drop them again (SQLite rebuilds the tables for that)."""
    with op.batch_alter_table("broadcast_messages") as batch:
        batch.drop_column("time_zone")
    with op.batch_alter_table("broadcast_campaigns") as batch:
        batch.drop_column("deliver_at_local")
        batch.drop_column("send_window")
        batch.drop_column("expires_at")
