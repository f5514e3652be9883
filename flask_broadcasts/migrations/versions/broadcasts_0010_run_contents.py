"""flask-broadcasts: a run's content stored once, its messages' bindings (``broadcast_run_contents``).

Revision ID: broadcasts_0010
Revises: broadcasts_0009
Create Date: 2026-12-02

Adds only: one table, and one nullable column on ``broadcast_messages``. Messages stored
before this revision keep their texts (``bindings`` stays NULL and they are read as they
are); runs materialized after it store their content once and each message only the
values it was rendered with.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "broadcasts_0010"
down_revision = "broadcasts_0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    """Create ``broadcast_run_contents``; add ``broadcast_messages.bindings``."""
    op.create_table(
        "broadcast_run_contents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("campaign_id", sa.Integer(), nullable=False),
        sa.Column("run_key", sa.String(length=40), nullable=False),
        sa.Column("content", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["campaign_id"],
            ["broadcast_campaigns.id"],
            name=op.f("fk_broadcast_run_contents_campaign_id_broadcast_campaigns"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcast_run_contents")),
        sa.UniqueConstraint("campaign_id", "run_key", name=op.f("uq_broadcast_run_contents_campaign_id_run_key")),
    )
    op.add_column("broadcast_messages", sa.Column("bindings", sa.JSON(), nullable=True))


def downgrade() -> None:
    """Drop them. Messages of runs stored in the compact form lose their texts with them."""
    with op.batch_alter_table("broadcast_messages") as batch:
        batch.drop_column("bindings")
    op.drop_table("broadcast_run_contents")
