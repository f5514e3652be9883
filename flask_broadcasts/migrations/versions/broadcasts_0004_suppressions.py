"""flask-broadcasts: the per-organization suppression list and the campaigns' suppressed_count.

Revision ID: broadcasts_0004
Revises: broadcasts_0003
Create Date: 2026-12-02

- ``broadcast_suppressions``: one row per (organization, channel, address) that sending
  skips (unsubscribed, bounced, complained, SMS STOP, added by hand);
- ``broadcast_campaigns.suppressed_count``: of the counted messages, those with a
  channel left out because of the list. ``ADD COLUMN ... DEFAULT 0 NOT NULL`` is a
  catalog change on PostgreSQL 11+ and SQLite (no rewrite of the table).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0004"
down_revision = "broadcasts_0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``broadcast_suppressions``; add ``suppressed_count`` to ``broadcast_campaigns``."""
    op.create_table(
        "broadcast_suppressions",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("address", sa.String(length=320), nullable=False),
        sa.Column("reason", sa.String(length=16), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_suppressions")),
        sa.UniqueConstraint(
            "organization_id",
            "channel",
            "address",
            name=op.f("uq_broadcast_suppressions_organization_id_channel_address"),
        ),
    )
    op.add_column(
        "broadcast_campaigns", sa.Column("suppressed_count", sa.Integer(), nullable=False, server_default="0")
    )


def downgrade() -> None:
    """Drop them again (SQLite rebuilds the campaigns table for that)."""
    with op.batch_alter_table("broadcast_campaigns") as batch:
        batch.drop_column("suppressed_count")
    op.drop_table("broadcast_suppressions")
